/**
 * Canary routing: a key (a symbol, an order id) goes to the same version in every process and
 * after every restart, by FNV-1a (32-bit) over the key's UTF-8 bytes, a point in [0, 1) compared
 * with the versions' cumulative shares.
 */

const OFFSET = 0x811c9dc5;
const PRIME = 0x01000193;

function step(h: number, byte: number): number {
  return Math.imul(h ^ byte, PRIME) >>> 0;
}

/**
 * FNV-1a, 32-bit, of the UTF-8 bytes of `key` (a number is hashed as its decimal string), with
 * no allocation. `fnv1a32('')` is 0x811c9dc5; `fnv1a32('a')` is 0xe40c292c.
 * @example
 * fnv1a32('BTCUSDT') / 2 ** 32 // the key's point in [0, 1)
 */
export function fnv1a32(key: string | number): number {
  const s = typeof key === 'string' ? key : String(key);
  let h = OFFSET;
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
      }
    }
    // A lone surrogate is encoded as U+FFFD, as TextEncoder does.
    if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd;
    if (c < 0x80) h = step(h, c);
    else if (c < 0x800) h = step(step(h, 0xc0 | (c >> 6)), 0x80 | (c & 63));
    else if (c < 0x10000) h = step(step(step(h, 0xe0 | (c >> 12)), 0x80 | ((c >> 6) & 63)), 0x80 | (c & 63));
    else h = step(step(step(step(h, 0xf0 | (c >> 18)), 0x80 | ((c >> 12) & 63)), 0x80 | ((c >> 6) & 63)), 0x80 | (c & 63));
  }
  return h;
}

/** The point of `key` in [0, 1). */
export function keyPoint(key: string | number): number {
  return fnv1a32(key) / 2 ** 32;
}

/**
 * Routes keys by shares: `route(key)` is the index of the share whose cumulative range holds the
 * key's point, or -1 (the champion) past the last.
 */
export class CanaryRouter {
  readonly #edges: Float64Array;

  /** `shares` in [0, 1], summing to at most 1 (the rest goes to the champion). */
  constructor(shares: readonly number[]) {
    let sum = 0;
    this.#edges = new Float64Array(shares.length);
    shares.forEach((s, i) => {
      if (typeof s !== 'number' || !(s >= 0 && s <= 1)) throw new RangeError(`a canary share must be a number in [0, 1], got ${String(s)}`);
      sum += s;
      this.#edges[i] = sum;
    });
    if (sum > 1 + 1e-12) throw new RangeError(`canary shares sum to ${sum}, more than 1`);
  }

  route(key: string | number): number {
    const p = keyPoint(key);
    for (let i = 0; i < this.#edges.length; i++) if (p < (this.#edges[i] as number)) return i;
    return -1;
  }
}
