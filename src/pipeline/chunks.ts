/**
 * DuckDB data chunks into the reader's blocks: each vector's data copied in bulk (one typed-array
 * copy per column and chunk), NULLs as NaN, symbols as codes, and which file and row each row came
 * from. Nothing is read one value at a time except the validity bits of columns that have NULLs.
 * @internal
 */
import duckdb from '@duckdb/node-bindings';
import type { DuckDBDataChunk } from '@duckdb/node-api';
import type { SymbolDictionary } from './symbols.js';

/** Rows per block: the unit every later stage works on. */
export const BLOCK_ROWS = 65_536;

/** A block of input rows. Arrays are the reader's and are refilled by the next block. */
export interface InputBlock {
  rows: number;
  /** The numeric columns asked for, in order. */
  columns: Float64Array[];
  /** Epoch microseconds (UTC); NaN when the row has none. */
  timeUs: Float64Array;
  /** Symbol code per row (see the reader's `symbols`); 0 without a symbol column. */
  key: Uint32Array;
  /** Runs of rows from one file: row `runStart[i]` of the block is row `runRow[i]` of file `runFile[i]`. */
  runs: number;
  runStart: Uint32Array;
  runFile: Uint32Array;
  runRow: Float64Array;
}

/** One chunk's vectors as typed views over DuckDB's memory (valid while the chunk is). */
export interface ChunkView {
  rows: number;
  /** The numeric columns, then the time. */
  doubles: { data: Float64Array; valid: Uint8Array | null }[];
  /** file_index (UBIGINT) as 32-bit words: the low word of row r at 2r. */
  fileIdx: Uint32Array;
  /** The symbol's string_t entries and its hash, when the input has a symbol column. */
  strings?: Uint8Array;
  hashes?: Uint8Array;
  symbolValid?: Uint8Array | null;
}

/**
 * Views of a chunk of the reader's query: `k` numeric columns, the time, file_index, and with
 * `withSymbol` the symbol and its hash.
 */
export function viewChunk(chunk: DuckDBDataChunk, k: number, withSymbol: boolean): ChunkView {
  const n = chunk.rowCount;
  const raw = chunk.chunk;
  const validBytes = Math.ceil(n / 64) * 8;
  const doubles = Array.from({ length: k + 1 }, (_, i) => {
    const v = duckdb.data_chunk_get_vector(raw, i);
    const d = duckdb.vector_get_data(v, n * 8);
    return { data: new Float64Array(d.buffer, d.byteOffset, n), valid: duckdb.vector_get_validity(v, validBytes) as Uint8Array | null };
  });
  const f = duckdb.vector_get_data(duckdb.data_chunk_get_vector(raw, k + 1), n * 8);
  const view: ChunkView = { rows: n, doubles, fileIdx: new Uint32Array(f.buffer, f.byteOffset, n * 2) };
  if (withSymbol) {
    const sv = duckdb.data_chunk_get_vector(raw, k + 2);
    view.strings = duckdb.vector_get_data(sv, n * 16);
    view.hashes = duckdb.vector_get_data(duckdb.data_chunk_get_vector(raw, k + 3), n * 8);
    view.symbolValid = duckdb.vector_get_validity(sv, validBytes) as Uint8Array | null;
  }
  return view;
}

/** The first row of the chunk whose symbol is NULL, or -1. */
export function firstMissingSymbol(c: ChunkView): number {
  const valid = c.symbolValid;
  if (!valid) return -1;
  for (let r = 0; r < c.rows; r++) if (((valid[r >> 3] as number) & (1 << (r & 7))) === 0) return r;
  return -1;
}

/** Fills blocks from chunks, tracking each file's row count for messages. */
export class BlockBuilder {
  readonly block: InputBlock;
  readonly #symbols: SymbolDictionary;
  /** Rows read so far per file (left-out rows included: they are lines of the file). */
  readonly fileRows: Float64Array;
  readonly #exclude: ReadonlySet<string> | undefined;
  // 1 for the codes of excluded symbols, for the first `#flagged` codes of the dictionary.
  #excluded = new Uint8Array(0);
  #flagged = 0;
  #lastFile = -1;
  #nextRow = 0;

  /** `exclude`: symbols whose rows are left out (complete partitions of a resumed run). */
  constructor(numeric: number, files: number, symbols: SymbolDictionary, exclude?: ReadonlySet<string>) {
    this.#symbols = symbols;
    this.fileRows = new Float64Array(files);
    this.#exclude = exclude && exclude.size > 0 ? exclude : undefined;
    this.block = {
      rows: 0,
      columns: Array.from({ length: numeric }, () => new Float64Array(BLOCK_ROWS)),
      timeUs: new Float64Array(BLOCK_ROWS),
      key: new Uint32Array(BLOCK_ROWS),
      runs: 0,
      runStart: new Uint32Array(BLOCK_ROWS),
      runFile: new Uint32Array(BLOCK_ROWS),
      runRow: new Float64Array(BLOCK_ROWS),
    };
  }

  get full(): boolean {
    return this.block.rows === BLOCK_ROWS;
  }

  /** Starts the next block (the previous one has been consumed). */
  reset(): void {
    this.block.rows = 0;
    this.block.runs = 0;
  }

  /** Copies as many rows of `c` from row `from` as the block holds; returns how many were consumed. */
  add(c: ChunkView, from: number): number {
    const b = this.block;
    const take = Math.min(c.rows - from, BLOCK_ROWS - b.rows);
    const at = b.rows;
    c.doubles.forEach(({ data, valid }, i) => {
      const dst = i < b.columns.length ? (b.columns[i] as Float64Array) : b.timeUs;
      dst.set(data.subarray(from, from + take), at);
      if (valid) nullsToNaN(valid, dst, at - from, from, from + take);
    });
    if (c.strings && c.hashes) this.#symbols.encode(c.strings.subarray(from * 16), c.hashes.subarray(from * 8), take, b.key, at);
    else b.key.fill(0, at, at + take);
    const excluded = this.#exclude ? this.#flags() : undefined;
    const fileRows = this.fileRows;
    // Every row is counted in its file; kept rows are moved down over left-out ones, and a run
    // of rows from one file ends where the file's rows stop being consecutive.
    let w = at;
    for (let r = from, i = at; r < from + take; r++, i++) {
      const f = c.fileIdx[2 * r] as number;
      const row = fileRows[f] as number;
      fileRows[f] = row + 1;
      if (excluded && excluded[b.key[i] as number] === 1) continue;
      if (w !== i) this.#move(i, w);
      if (b.runs === 0 || f !== this.#lastFile || row !== this.#nextRow) {
        b.runStart[b.runs] = w;
        b.runFile[b.runs] = f;
        b.runRow[b.runs] = row;
        b.runs++;
        this.#lastFile = f;
      }
      this.#nextRow = row + 1;
      w++;
    }
    b.rows = w;
    return take;
  }

  /** The excluded-code flags, extended to the symbols the dictionary has now. */
  #flags(): Uint8Array {
    const names = this.#symbols.names;
    if (this.#flagged < names.length) {
      if (this.#excluded.length < names.length) {
        const grown = new Uint8Array(Math.max(names.length * 2, 64));
        grown.set(this.#excluded);
        this.#excluded = grown;
      }
      for (let k = this.#flagged; k < names.length; k++) this.#excluded[k] = this.#exclude?.has(names[k] as string) ? 1 : 0;
      this.#flagged = names.length;
    }
    return this.#excluded;
  }

  #move(from: number, to: number): void {
    const b = this.block;
    for (const col of b.columns) col[to] = col[from] as number;
    b.timeUs[to] = b.timeUs[from] as number;
    b.key[to] = b.key[from] as number;
  }
}

/** NaN where a row's validity bit is clear, for rows [from, to) written at dst[shift + r]. */
function nullsToNaN(valid: Uint8Array, dst: Float64Array, shift: number, from: number, to: number): void {
  for (let r = from; r < to; ) {
    const byte = valid[r >> 3] as number;
    if (byte === 0xff && (r & 7) === 0 && r + 8 <= to) {
      r += 8;
      continue;
    }
    if ((byte & (1 << (r & 7))) === 0) dst[shift + r] = Number.NaN;
    r++;
  }
}

/** Rows of file `f` before row `r` of this chunk. */
export function rowsBefore(c: ChunkView, r: number, f: number): number {
  let n = 0;
  for (let i = 0; i < r; i++) if (c.fileIdx[2 * i] === f) n++;
  return n;
}
