/**
 * Symbol names to dense codes, read straight from DuckDB's string vectors (16-byte string_t
 * entries: the length, then the text inline up to 12 bytes, or a prefix and a pointer), so that a
 * row costs a few integer compares and no JS string: a name is decoded once, when first seen.
 * @internal
 */
import duckdb from '@duckdb/node-bindings';

const EMPTY = -1;
const decoder = new TextDecoder();

/** The symbols seen so far: code i is `names[i]`. */
export class SymbolDictionary {
  readonly names: string[] = [];
  readonly #byName = new Map<string, number>();
  // Open addressing on 4-word keys: inline strings are their own key; a longer one is its length,
  // its 4-byte prefix and DuckDB's 64-bit hash of it (the reader selects hash(symbol)).
  #keys = new Uint32Array(64 * 4);
  #codes = new Int32Array(64).fill(EMPTY);
  #used = 0;

  /** The code of `name`, added if new (for symbols known from paths or options). */
  codeOf(name: string): number {
    let c = this.#byName.get(name);
    if (c === undefined) {
      c = this.names.length;
      this.names.push(name);
      this.#byName.set(name, c);
    }
    return c;
  }

  /**
   * Codes of `rows` entries of a VARCHAR vector into `out` from `at`. `strings`: the vector's
   * data (rows × 16 bytes); `hashes`: the UBIGINT hash column's data (rows × 8 bytes).
   */
  encode(strings: Uint8Array, hashes: Uint8Array, rows: number, out: Uint32Array, at: number): void {
    const w = new Uint32Array(strings.buffer, strings.byteOffset, rows * 4);
    const h = new Uint32Array(hashes.buffer, hashes.byteOffset, rows * 2);
    let k0 = -1;
    let k1 = 0;
    let k2 = 0;
    let k3 = 0;
    let code = 0;
    for (let r = 0; r < rows; r++) {
      const len = w[4 * r] as number;
      const a = w[4 * r + 1] as number;
      const b = len > 12 ? (h[2 * r] as number) : (w[4 * r + 2] as number);
      const c = len > 12 ? (h[2 * r + 1] as number) : (w[4 * r + 3] as number);
      if (len !== k0 || a !== k1 || b !== k2 || c !== k3) {
        k0 = len;
        k1 = a;
        k2 = b;
        k3 = c;
        code = this.#lookup(len, a, b, c, strings, r);
      }
      out[at + r] = code;
    }
  }

  #lookup(len: number, a: number, b: number, c: number, strings: Uint8Array, row: number): number {
    const mask = this.#codes.length - 1;
    let slot = (Math.imul(len ^ Math.imul(a, 0x9e3779b1) ^ Math.imul(b, 0x85ebca6b) ^ Math.imul(c, 0xc2b2ae35), 0x27d4eb2f) >>> 7) & mask;
    for (;;) {
      const found = this.#codes[slot] as number;
      if (found === EMPTY) break;
      const k = slot * 4;
      if (this.#keys[k] === len && this.#keys[k + 1] === a && this.#keys[k + 2] === b && this.#keys[k + 3] === c) return found;
      slot = (slot + 1) & mask;
    }
    const code = this.codeOf(nameAt(strings, row, len));
    this.#insert(slot, len, a, b, c, code);
    return code;
  }

  #insert(slot: number, len: number, a: number, b: number, c: number, code: number): void {
    const k = slot * 4;
    this.#keys[k] = len;
    this.#keys[k + 1] = a;
    this.#keys[k + 2] = b;
    this.#keys[k + 3] = c;
    this.#codes[slot] = code;
    if (++this.#used * 2 <= this.#codes.length) return;
    const oldKeys = this.#keys;
    const oldCodes = this.#codes;
    this.#keys = new Uint32Array(oldKeys.length * 2);
    this.#codes = new Int32Array(oldCodes.length * 2).fill(EMPTY);
    this.#used = 0;
    const mask = this.#codes.length - 1;
    for (let s = 0; s < oldCodes.length; s++) {
      const c0 = oldCodes[s] as number;
      if (c0 === EMPTY) continue;
      const [l, x, y, z] = oldKeys.subarray(s * 4, s * 4 + 4) as unknown as [number, number, number, number];
      let at = (Math.imul(l ^ Math.imul(x, 0x9e3779b1) ^ Math.imul(y, 0x85ebca6b) ^ Math.imul(z, 0xc2b2ae35), 0x27d4eb2f) >>> 7) & mask;
      while (this.#codes[at] !== EMPTY) at = (at + 1) & mask;
      this.#keys.set(oldKeys.subarray(s * 4, s * 4 + 4), at * 4);
      this.#codes[at] = c0;
      this.#used++;
    }
  }
}

/** The text of string_t entry `row`: inline (<= 12 bytes) or behind its pointer. */
function nameAt(strings: Uint8Array, row: number, len: number): string {
  const at = strings.byteOffset + row * 16;
  if (len <= 12) return decoder.decode(new Uint8Array(strings.buffer, at + 4, len));
  return decoder.decode(duckdb.get_data_from_pointer(strings.buffer as ArrayBuffer, at + 8, len));
}
