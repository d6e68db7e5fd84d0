/**
 * The Thrift compact protocol, write side only: what the Parquet writer needs to encode its page
 * headers and file footer (parquet.thrift's structs). Integers up to 2^53 (file offsets, sizes).
 * @internal
 */

/** Compact-protocol field types. */
export const T = {
  TRUE: 1,
  FALSE: 2,
  BYTE: 3,
  I16: 4,
  I32: 5,
  I64: 6,
  DOUBLE: 7,
  BINARY: 8,
  LIST: 9,
  STRUCT: 12,
} as const;

/** A growable byte buffer with the compact protocol's encodings. */
export class CompactWriter {
  #buf = new Uint8Array(256);
  #len = 0;
  // Field ids are written as deltas from the previous field of the same struct.
  #last: number[] = [0];

  get length(): number {
    return this.#len;
  }

  /** The bytes written so far (a copy-free view, valid until the next write). */
  bytes(): Uint8Array {
    return this.#buf.subarray(0, this.#len);
  }

  #reserve(n: number): void {
    if (this.#len + n <= this.#buf.length) return;
    const next = new Uint8Array(Math.max(this.#buf.length * 2, this.#len + n));
    next.set(this.#buf.subarray(0, this.#len));
    this.#buf = next;
  }

  byte(b: number): void {
    this.#reserve(1);
    this.#buf[this.#len++] = b & 0xff;
  }

  /** Unsigned LEB128 of a non-negative integer below 2^53. */
  varint(v: number): void {
    this.#reserve(10);
    while (v >= 0x80) {
      this.#buf[this.#len++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.#buf[this.#len++] = v;
  }

  /** Zigzag varint of a signed integer of magnitude below 2^52. */
  zigzag(v: number): void {
    this.varint(v >= 0 ? v * 2 : -v * 2 - 1);
  }

  raw(b: Uint8Array): void {
    this.#reserve(b.length);
    this.#buf.set(b, this.#len);
    this.#len += b.length;
  }

  /** A field header; `type` is one of {@link T}. */
  field(id: number, type: number): void {
    const last = this.#last[this.#last.length - 1] as number;
    const delta = id - last;
    if (delta > 0 && delta <= 15) this.byte((delta << 4) | type);
    else {
      this.byte(type);
      this.zigzag(id);
    }
    this.#last[this.#last.length - 1] = id;
  }

  i32(id: number, v: number): void {
    this.field(id, T.I32);
    this.zigzag(v);
  }

  i64(id: number, v: number): void {
    this.field(id, T.I64);
    this.zigzag(v);
  }

  byteField(id: number, v: number): void {
    this.field(id, T.BYTE);
    this.byte(v);
  }

  bool(id: number, v: boolean): void {
    this.field(id, v ? T.TRUE : T.FALSE);
  }

  binary(id: number, b: Uint8Array): void {
    this.field(id, T.BINARY);
    this.varint(b.length);
    this.raw(b);
  }

  string(id: number, s: string): void {
    this.binary(id, Buffer.from(s, 'utf8'));
  }

  /** A struct field: `body` writes its fields. */
  struct(id: number, body: () => void): void {
    this.field(id, T.STRUCT);
    this.structBody(body);
  }

  /** A struct's fields and its stop byte (for the top level and list elements). */
  structBody(body: () => void): void {
    this.#last.push(0);
    body();
    this.byte(0);
    this.#last.pop();
  }

  /** A list field header of `size` elements of `elemType`; the caller writes the elements. */
  listHeader(id: number, elemType: number, size: number): void {
    this.field(id, T.LIST);
    if (size < 15) this.byte((size << 4) | elemType);
    else {
      this.byte(0xf0 | elemType);
      this.varint(size);
    }
  }

  /** A list of structs. */
  structList<V>(id: number, items: readonly V[], body: (item: V) => void): void {
    this.listHeader(id, T.STRUCT, items.length);
    for (const item of items) this.structBody(() => body(item));
  }

  /** A list of i32 (enums). */
  i32List(id: number, items: readonly number[]): void {
    this.listHeader(id, T.I32, items.length);
    for (const v of items) this.zigzag(v);
  }

  /** A list of strings. */
  stringList(id: number, items: readonly string[]): void {
    this.listHeader(id, T.BINARY, items.length);
    for (const s of items) {
      const b = Buffer.from(s, 'utf8');
      this.varint(b.length);
      this.raw(b);
    }
  }
}
