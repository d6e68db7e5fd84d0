/**
 * Parquet's RLE / bit-packed hybrid encoding (definition levels and dictionary indices): runs of
 * eight or more equal values as RLE runs, everything else bit-packed in groups of eight.
 * @internal
 */

type Values = Uint8Array | Uint32Array;

/** Bits needed for values up to `max` (at least 1: some readers refuse a width of 0). */
export function bitWidth(max: number): number {
  let w = 1;
  while (w < 32 && max >= 2 ** w) w++;
  return w;
}

class Bytes {
  buf: Uint8Array;
  len = 0;
  constructor(size: number) {
    this.buf = new Uint8Array(Math.max(16, Math.ceil(size)));
  }
  reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.len + n));
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }
  varint(v: number): void {
    this.reserve(5);
    while (v >= 0x80) {
      this.buf[this.len++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.buf[this.len++] = v;
  }
  done(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }
}

/** One RLE run of `count` copies of `value`, `width` bits wide. */
export function encodeRun(count: number, value: number, width: number): Uint8Array {
  const out = new Bytes(10);
  out.varint(count * 2);
  for (let b = 0, x = value; b < Math.ceil(width / 8); b++, x = Math.floor(x / 256)) out.buf[out.len++] = x & 0xff;
  return out.done();
}

/** 0/1 values as one bit-packed run (the fast path for labels and definition levels). */
export function encodeBits(values: Uint8Array, count: number): Uint8Array {
  const groups = Math.ceil(count / 8);
  const out = new Bytes(groups + 8);
  out.varint(groups * 2 + 1);
  out.reserve(groups);
  const full = Math.floor(count / 8);
  const buf = out.buf;
  let at = out.len;
  for (let g = 0, i = 0; g < full; g++, i += 8) {
    buf[at++] =
      (values[i] as number) |
      ((values[i + 1] as number) << 1) |
      ((values[i + 2] as number) << 2) |
      ((values[i + 3] as number) << 3) |
      ((values[i + 4] as number) << 4) |
      ((values[i + 5] as number) << 5) |
      ((values[i + 6] as number) << 6) |
      ((values[i + 7] as number) << 7);
  }
  if (full < groups) {
    let b = 0;
    for (let i = full * 8; i < count; i++) b |= (values[i] as number) << (i - full * 8);
    buf[at++] = b;
  }
  out.len = at;
  return out.done();
}

/** `values[0..count)` (each below 2^width, width <= 32) as the hybrid, without a length prefix. */
export function encodeHybrid(values: Values, count: number, width: number): Uint8Array {
  const out = new Bytes((count * width) / 8 + 16);
  const valueBytes = Math.ceil(width / 8);
  let i = 0;
  while (i < count) {
    const v = values[i] as number;
    let j = i + 1;
    while (j < count && values[j] === v) j++;
    if (j - i >= 8) {
      out.varint((j - i) * 2);
      out.reserve(valueBytes);
      for (let b = 0, x = v; b < valueBytes; b++, x = Math.floor(x / 256)) out.buf[out.len++] = x & 0xff;
      i = j;
      continue;
    }
    // Bit-packed groups of eight until a run of eight equal values starts at a group boundary
    // (or the values end: the last group is padded with zeros, which readers ignore).
    const start = i;
    let groups = 0;
    do {
      groups++;
      i += 8;
    } while (i < count && !runOfEight(values, i, count));
    out.varint(groups * 2 + 1);
    out.reserve(groups * width);
    let acc = 0;
    let bits = 0;
    const end = Math.min(start + groups * 8, count);
    for (let k = start; k < start + groups * 8; k++) {
      const x = k < end ? (values[k] as number) : 0;
      acc += x * 2 ** bits;
      bits += width;
      while (bits >= 8) {
        out.buf[out.len++] = acc % 256;
        acc = Math.floor(acc / 256);
        bits -= 8;
      }
    }
    i = Math.min(i, count);
  }
  return out.done();
}

function runOfEight(values: Values, i: number, count: number): boolean {
  if (i + 8 > count) return false;
  const v = values[i];
  for (let k = 1; k < 8; k++) if (values[i + k] !== v) return false;
  return true;
}
