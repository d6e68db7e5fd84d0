/**
 * A streaming Parquet writer for scored rows: one row group per call, written straight from the
 * typed arrays (doubles as their bytes, no text), the footer at the end. Columns: a nullable
 * TIMESTAMP (microseconds, UTC), DOUBLE, a UTINYINT label and a string symbol (both
 * dictionary-encoded). Uncompressed: the scores are random doubles that compress poorly, and
 * Node has no fast codec Parquet readers all accept. Format: parquet.thrift (apache/parquet-format).
 * @internal
 */
import { open } from 'node:fs/promises';
import { CompactWriter } from './thrift.js';
import { bitWidth, encodeBits, encodeHybrid, encodeRun } from './rle.js';

export type ColumnKind = 'timestamp' | 'double' | 'label' | 'symbol';
export interface ColumnSpec {
  name: string;
  kind: ColumnKind;
}
/** timestamp: Float64Array of epoch µs (NaN = null); double: Float64Array; label: Uint8Array; symbol: Uint32Array of dictionary codes. */
export type ColumnData = Float64Array | Uint8Array | Uint32Array;

// parquet.thrift enums
const TYPE = { INT32: 1, INT64: 2, DOUBLE: 5, BYTE_ARRAY: 6 } as const;
const REQUIRED = 0;
const OPTIONAL = 1;
const ENC = { PLAIN: 0, PLAIN_DICTIONARY: 2, RLE: 3 } as const;
const PAGE = { DATA: 0, DICTIONARY: 2 } as const;
const CONVERTED = { UTF8: 0, TIMESTAMP_MICROS: 10, UINT_8: 11 } as const;
const MAGIC = Buffer.from('PAR1');

interface ChunkMeta {
  offset: number;
  dictionaryOffset?: number;
  dataOffset: number;
  size: number;
  values: number;
  encodings: number[];
  stats?: { min: Uint8Array; max: Uint8Array; nulls: number };
}

const physical = (k: ColumnKind) => (k === 'timestamp' ? TYPE.INT64 : k === 'double' ? TYPE.DOUBLE : k === 'label' ? TYPE.INT32 : TYPE.BYTE_ARRAY);

function pageHeader(type: number, size: number, values: number, encoding: number): Uint8Array {
  const w = new CompactWriter();
  w.structBody(() => {
    w.i32(1, type);
    w.i32(2, size);
    w.i32(3, size);
    if (type === PAGE.DICTIONARY) {
      w.struct(7, () => {
        w.i32(1, values);
        w.i32(2, encoding);
      });
    } else {
      w.struct(5, () => {
        w.i32(1, values);
        w.i32(2, encoding);
        w.i32(3, ENC.RLE);
        w.i32(4, ENC.RLE);
      });
    }
  });
  return w.bytes().slice();
}

const le32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
};

const f64Bytes = (v: number) => {
  const b = Buffer.alloc(8);
  b.writeDoubleLE(v);
  return b;
};

const i64Bytes = (v: number) => {
  const b = Buffer.alloc(8);
  b.writeBigInt64LE(BigInt(v));
  return b;
};

const view = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/** Epoch µs doubles (integers below 2^53) as INT64 little-endian, nulls skipped. */
function timestampValues(t: Float64Array, rows: number, present: number): Uint8Array {
  const words = new Int32Array(present * 2);
  let k = 0;
  for (let i = 0; i < rows; i++) {
    const v = t[i] as number;
    if (v !== v) continue;
    const hi = Math.floor(v / 4294967296);
    words[k++] = (v - hi * 4294967296) | 0;
    words[k++] = hi;
  }
  return view(words);
}

/** A Parquet file being written; nothing is read back, so it may grow past memory. */
export class ParquetFile {
  #offset = 0;
  #rows = 0;
  readonly #groups: { rows: number; chunks: ChunkMeta[] }[] = [];
  #done = false;

  constructor(
    readonly path: string,
    readonly columns: readonly ColumnSpec[],
    readonly keyValues: Readonly<Record<string, string>> = {},
    readonly createdBy = 'production-ensemble',
  ) {}

  get rows(): number {
    return this.#rows;
  }

  /** Appends rows [0, rows) of each column as one row group. `dictionary`: the symbol names. */
  async writeRowGroup(rows: number, data: readonly ColumnData[], dictionary: readonly string[] = []): Promise<void> {
    if (rows <= 0) return;
    const parts: Uint8Array[] = [];
    let at = this.#offset;
    if (at === 0) {
      parts.push(MAGIC);
      at += MAGIC.length;
    }
    const chunks: ChunkMeta[] = [];
    this.columns.forEach((c, i) => {
      const col = data[i] as ColumnData;
      const chunk: ChunkMeta = { offset: at, dataOffset: at, size: 0, values: rows, encodings: [] };
      const push = (b: Uint8Array) => {
        parts.push(b);
        at += b.length;
        chunk.size += b.length;
      };
      const page = (type: number, body: Uint8Array[], values: number, encoding: number) => {
        const size = body.reduce((s, b) => s + b.length, 0);
        push(pageHeader(type, size, values, encoding));
        for (const b of body) push(b);
      };
      if (c.kind === 'double') {
        const d = (col as Float64Array).subarray(0, rows);
        chunk.encodings = [ENC.PLAIN];
        let min = Infinity;
        let max = -Infinity;
        let nan = false;
        for (let r = 0; r < rows; r++) {
          const v = d[r] as number;
          if (v < min) min = v;
          if (v > max) max = v;
          if (v !== v) nan = true;
        }
        if (!nan) chunk.stats = { min: f64Bytes(min), max: f64Bytes(max), nulls: 0 };
        page(PAGE.DATA, [view(d)], rows, ENC.PLAIN);
      } else if (c.kind === 'timestamp') {
        const t = col as Float64Array;
        let present = 0;
        let min = Infinity;
        let max = -Infinity;
        for (let r = 0; r < rows; r++) {
          const v = t[r] as number;
          if (v !== v) continue;
          present++;
          if (v < min) min = v;
          if (v > max) max = v;
        }
        let levels: Uint8Array;
        if (present === rows || present === 0) levels = encodeRun(rows, present === rows ? 1 : 0, 1);
        else {
          const defined = new Uint8Array(rows);
          for (let r = 0; r < rows; r++) defined[r] = t[r] === t[r] ? 1 : 0;
          levels = encodeBits(defined, rows);
        }
        chunk.encodings = [ENC.PLAIN, ENC.RLE];
        if (present > 0) chunk.stats = { min: i64Bytes(min), max: i64Bytes(max), nulls: rows - present };
        page(PAGE.DATA, [le32(levels.length), levels, timestampValues(t, rows, present)], rows, ENC.PLAIN);
      } else {
        // Dictionary columns: the dictionary page, then indices as the hybrid after a width byte.
        const label = c.kind === 'label';
        const dict = label ? view(Int32Array.of(0, 1)) : plainStrings(dictionary);
        const entries = label ? 2 : dictionary.length;
        chunk.dictionaryOffset = at;
        page(PAGE.DICTIONARY, [dict], entries, ENC.PLAIN_DICTIONARY);
        chunk.dataOffset = at;
        const width = label ? 1 : bitWidth(Math.max(entries - 1, 0));
        const indices = label ? encodeBits(col as Uint8Array, rows) : encodeHybrid(col as Uint32Array, rows, width);
        page(PAGE.DATA, [Uint8Array.of(width), indices], rows, ENC.PLAIN_DICTIONARY);
        chunk.encodings = [ENC.PLAIN_DICTIONARY, ENC.RLE];
      }
      chunks.push(chunk);
    });
    await append(this.path, parts);
    this.#offset = at;
    this.#rows += rows;
    this.#groups.push({ rows, chunks });
  }

  /** Writes the footer; the file is complete when this resolves. */
  async finish(): Promise<void> {
    if (this.#done) return;
    this.#done = true;
    const footer = this.#footer();
    const parts: Uint8Array[] = [];
    if (this.#offset === 0) parts.push(MAGIC);
    parts.push(footer, le32(footer.length), MAGIC);
    await append(this.path, parts);
  }

  #footer(): Uint8Array {
    const w = new CompactWriter();
    const cols = this.columns;
    w.structBody(() => {
      w.i32(1, 1);
      w.structList(2, [null, ...cols], (c) => {
        if (c === null) {
          w.string(4, 'schema');
          w.i32(5, cols.length);
          return;
        }
        w.i32(1, physical(c.kind));
        w.i32(3, c.kind === 'timestamp' ? OPTIONAL : REQUIRED);
        w.string(4, c.name);
        if (c.kind === 'timestamp') {
          w.i32(6, CONVERTED.TIMESTAMP_MICROS);
          w.struct(10, () => w.struct(8, () => {
            w.bool(1, true);
            w.struct(2, () => w.struct(2, () => undefined));
          }));
        } else if (c.kind === 'label') {
          w.i32(6, CONVERTED.UINT_8);
          w.struct(10, () => w.struct(10, () => {
            w.byteField(1, 8);
            w.bool(2, false);
          }));
        } else if (c.kind === 'symbol') {
          w.i32(6, CONVERTED.UTF8);
          w.struct(10, () => w.struct(1, () => undefined));
        }
      });
      w.i64(3, this.#rows);
      w.structList(4, this.#groups, (g) => {
        w.structList(1, g.chunks.map((ch, i) => ({ ch, c: cols[i] as ColumnSpec })), ({ ch, c }) => {
          w.i64(2, ch.offset);
          w.struct(3, () => {
            w.i32(1, physical(c.kind));
            w.i32List(2, ch.encodings);
            w.stringList(3, [c.name]);
            w.i32(4, 0);
            w.i64(5, ch.values);
            w.i64(6, ch.size);
            w.i64(7, ch.size);
            w.i64(9, ch.dataOffset);
            if (ch.dictionaryOffset !== undefined) w.i64(11, ch.dictionaryOffset);
            const s = ch.stats;
            if (s) {
              w.struct(12, () => {
                w.i64(3, s.nulls);
                w.binary(5, s.max);
                w.binary(6, s.min);
              });
            }
          });
        });
        const size = g.chunks.reduce((n, ch) => n + ch.size, 0);
        w.i64(2, size);
        w.i64(3, g.rows);
        w.i64(5, (g.chunks[0] as ChunkMeta).offset);
        w.i64(6, size);
      });
      const kv = Object.entries(this.keyValues);
      if (kv.length > 0) {
        w.structList(5, kv, ([k, v]) => {
          w.string(1, k);
          w.string(2, v);
        });
      }
      w.string(6, this.createdBy);
      // TypeDefinedOrder for every column: readers may then trust min_value / max_value.
      w.structList(7, cols, () => w.struct(1, () => undefined));
    });
    return w.bytes().slice();
  }
}

function plainStrings(names: readonly string[]): Uint8Array {
  const bufs = names.map((n) => Buffer.from(n, 'utf8'));
  const out = Buffer.alloc(bufs.reduce((s, b) => s + 4 + b.length, 0));
  let at = 0;
  for (const b of bufs) {
    out.writeUInt32LE(b.length, at);
    b.copy(out, at + 4);
    at += 4 + b.length;
  }
  return out;
}

/**
 * Appends `parts` to the file, opened only for this write (a dataset may have many files under
 * construction at once). A short write is retried, so that the next one reports the error.
 */
async function append(path: string, parts: Uint8Array[]): Promise<void> {
  const fh = await open(path, 'a');
  try {
    let rest = parts;
    while (rest.length > 0) {
      const total = rest.reduce((s, b) => s + b.length, 0);
      const { bytesWritten } = await fh.writev(rest);
      if (bytesWritten >= total) break;
      rest = skip(rest, bytesWritten);
    }
  } finally {
    await fh.close();
  }
}

function skip(parts: Uint8Array[], n: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const p of parts) {
    if (n >= p.length) {
      n -= p.length;
      continue;
    }
    out.push(n > 0 ? p.subarray(n) : p);
    n = 0;
  }
  return out;
}
