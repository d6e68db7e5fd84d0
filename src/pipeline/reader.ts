/**
 * The reader stage: CSV / Parquet files through DuckDB, streamed as blocks of typed columns. Each
 * DuckDB chunk's vectors are copied in bulk (one typed-array copy per column, no per-row values):
 * the numeric columns as float64 (NULL → NaN), the time as epoch microseconds, the symbol as a
 * dense code, and which file and row every row came from, for messages.
 * @internal
 */
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { InvalidInputFileError } from '../errors.js';
import { type PlanOptions, planQuery, readError, sqlIdent, sqlString, tooLong } from './query.js';
import { type InputSource, hiveValue } from './source.js';
import { SymbolDictionary } from './symbols.js';
import { BlockBuilder, type InputBlock, firstMissingSymbol, rowsBefore, viewChunk } from './chunks.js';

export { BLOCK_ROWS, type InputBlock } from './chunks.js';

/** DuckDB threads reading (and parsing) ahead of the pipeline, and how far ahead they may get. */
const READ_THREADS = 2;
const STREAMING_BUFFER = '16MB';

/** Where a row came from, for messages. */
export interface RowPlace {
  file: string;
  /** 0-based data row within the file. */
  row: number;
}

export interface ReaderOptions extends PlanOptions {
  /** DuckDB's threads for reading (default 2). */
  threads?: number;
}

export interface TableReader {
  readonly source: InputSource;
  /** The symbol column read, if any. */
  readonly symbolColumn: string | undefined;
  /** The timestamp column read, if any. */
  readonly timeColumn: string | undefined;
  readonly symbols: SymbolDictionary;
  /** Rows of the input (a counting pass over CSV). */
  count(): Promise<number>;
  /** Rows per symbol (a pass over the input): for knowing when a partition is complete. */
  countBySymbol(): Promise<Map<string, number>>;
  blocks(): AsyncGenerator<InputBlock>;
  place(block: InputBlock, row: number): RowPlace;
  /** How a row is named in messages: `file: line N` for CSV, `file: row N` for Parquet. */
  describe(block: InputBlock, row: number): string;
  /** With skipInvalid: the rejected lines, after blocks() ends. */
  rejects(): Promise<{ file?: string; line: number; message: string }[]>;
  close(): void;
}
/**
 * Opens the input and checks that it has the `numeric` columns (named in the message if not).
 * Malformed CSV lines are errors naming the file and line, unless `skipInvalid`.
 */
export async function openReader(source: InputSource, opts: ReaderOptions): Promise<TableReader> {
  // No memory_limit: a streamed read that runs out of DuckDB's memory ends early *without an error*
  // (DuckDB 1.5.6, measured: bench/js/duckdb-options.bench.mjs). A scan's memory is bounded by its
  // buffers anyway; DuckDB's default limit (80% of RAM) leaves them room.
  const instance = await DuckDBInstance.create(':memory:', { threads: String(opts.threads ?? READ_THREADS) });
  const conn = await instance.connect();
  // A timestamp without an offset is UTC, whatever the machine's time zone.
  await conn.run("SET TimeZone = 'UTC'");
  // DuckDB's threads parse ahead of the fetches only as far as this buffer (default ~1 MB, which
  // keeps a second thread idle): measured in bench/js/duckdb-options.bench.mjs.
  await conn.run(`SET streaming_buffer_size = '${STREAMING_BUFFER}'`);
  const close = () => {
    conn.closeSync();
    instance.closeSync();
  };
  try {
    return await makeReader(source, opts, conn, close);
  } catch (e) {
    close();
    throw e;
  }
}

/** DuckDB's glob(), for {@link resolveInput}. */
export async function duckdbGlob(pattern: string): Promise<string[]> {
  const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
  const conn = await instance.connect();
  try {
    const r = await conn.runAndReadAll(`SELECT file FROM glob(${sqlString(pattern)})`);
    return r.getRows().map((row) => String(row[0]));
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

async function makeReader(source: InputSource, opts: ReaderOptions, conn: DuckDBConnection, close: () => void): Promise<TableReader> {
  const { files, format } = source;
  const { from: source_, list, where, select, timeName, symbolName, csv } = await planQuery(source, opts, conn);
  const first = files[0] as string;

  const symbols = new SymbolDictionary();
  const rowWord = format === 'csv' ? 'line' : 'row';

  const place = (b: InputBlock, row: number): RowPlace => {
    let i = b.runs - 1;
    while (i > 0 && (b.runStart[i] as number) > row) i--;
    return { file: files[b.runFile[i] as number] as string, row: (b.runRow[i] as number) + row - (b.runStart[i] as number) };
  };

  return {
    source,
    symbolColumn: symbolName,
    timeColumn: timeName,
    symbols,
    async count() {
      const r = await conn.runAndReadAll(`SELECT count(*) FROM ${source_}${where}`);
      return Number(r.getRows()[0]?.[0] ?? 0);
    },
    async countBySymbol() {
      const out = new Map<string, number>();
      if (!symbolName) return out;
      // Hive partitions by the symbol: the files' paths say which symbol each holds.
      if (source.hiveKeys.includes(symbolName) && format === 'parquet') {
        const r = await conn.runAndReadAll(`SELECT file_name, num_rows FROM parquet_file_metadata(${list})`);
        for (const [f, n] of r.getRows()) {
          const s = hiveValue(String(f), symbolName);
          if (s !== undefined && !opts.exclude?.has(s)) out.set(s, (out.get(s) ?? 0) + Number(n));
        }
        return out;
      }
      const s = sqlIdent(symbolName);
      try {
        const r = await conn.runAndReadAll(`SELECT CAST(${s} AS VARCHAR), count(*) FROM ${source_}${where} GROUP BY 1`);
        for (const [name, n] of r.getRows()) out.set(String(name), Number(n));
      } catch (e) {
        throw readError(first, e);
      }
      return out;
    },
    async *blocks() {
      let result: Awaited<ReturnType<DuckDBConnection['stream']>>;
      try {
        result = await conn.stream(select);
      } catch (e) {
        throw readError(first, e);
      }
      const builder = new BlockBuilder(opts.numeric.length, files.length, symbols, opts.exclude);
      for (;;) {
        let chunk;
        try {
          chunk = await result.fetchChunk();
        } catch (e) {
          throw readError(first, e);
        }
        if (!chunk || chunk.rowCount === 0) break;
        const c = viewChunk(chunk, opts.numeric.length, symbolName !== undefined);
        const missing = firstMissingSymbol(c);
        if (missing >= 0) {
          const f = c.fileIdx[2 * missing] as number;
          const row = (builder.fileRows[f] as number) + rowsBefore(c, missing, f);
          throw new InvalidInputFileError(`${files[f]}: ${rowWord} ${rowWord === 'line' ? row + 2 : row + 1}: the symbol column '${symbolName}' is empty`);
        }
        for (let done = 0; done < c.rows; ) {
          done += builder.add(c, done);
          if (builder.full) {
            yield builder.block;
            builder.reset();
          }
        }
      }
      if (builder.block.rows > 0) yield builder.block;
    },
    place,
    describe(b, row) {
      const p = place(b, row);
      return `${p.file}: ${rowWord} ${rowWord === 'line' ? p.row + 2 : p.row + 1}`;
    },
    async rejects() {
      if (!opts.skipInvalid || format !== 'csv') return [];
      const r = await conn.runAndReadAll(
        'SELECT s.file_path, e.line, e.column_name, e.error_message FROM reject_errors e JOIN reject_scans s USING (scan_id, file_id) ORDER BY s.file_path, e.line, e.byte_position',
      );
      // One entry per line (a short line is reported once per missing column).
      const byLine = new Map<string, { file: string; line: number; message: string }>();
      for (const [file, line, column, message] of r.getRows()) {
        const key = `${file}\n${line}`;
        if (!byLine.has(key)) byLine.set(key, { file: String(file), line: Number(line), message: column === null ? String(message) : `${column}: ${message}` });
      }
      // A long line is listed whatever DuckDB made of it, so that none can vanish.
      for (const [file, long] of csv?.longLines ?? []) for (const l of long) byLine.set(`${file}\n${l.line}`, { file, line: l.line, message: tooLong(l) });
      const all = [...byLine.values()].sort((a, b) => (a.file === b.file ? a.line - b.line : a.file < b.file ? -1 : 1));
      return files.length === 1 ? all.map(({ line, message }) => ({ line, message })) : all;
    },
    close,
  };
}
