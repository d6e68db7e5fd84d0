/**
 * Tables of any columns for the `explain` and `drift` commands (a time text and numeric columns):
 * CSV, or Parquet through DuckDB. `score`'s writers (src/pipeline/) are specialised to its fixed
 * columns; these take whatever columns a command has.
 * @internal
 */
import { rmSync } from 'node:fs';
import { DOUBLE, type DuckDBAppender, DuckDBDataChunk, DuckDBInstance, UTINYINT, VARCHAR } from '@duckdb/node-api';
import { textFile } from '../pipeline/csv-writer.js';
import { sqlIdent, sqlString } from '../pipeline/query.js';

export { formatOf } from '../pipeline/source.js';

/** Output rows: a timestamp and numeric columns. */
export interface TableWriter {
  write(timestamps: readonly string[], columns: readonly (Float64Array | Uint8Array)[], rows: number): Promise<void>;
  /** Flushes and closes; the file is complete at its path when this resolves. */
  finish(): Promise<void>;
  /** Drops everything written so far. */
  abort(): void;
}

/**
 * CSV into the existing file `path` (never created here: a removed temporary file stays removed);
 * a failed write rejects with the system's error.
 */
export async function csvWriter(path: string, names: readonly string[]): Promise<TableWriter> {
  const { put, close } = await textFile(path);
  await put(`${names.join(',')}\n`);
  return {
    async write(timestamps, columns, rows) {
      let text = '';
      for (let r = 0; r < rows; r++) {
        text += timestamps[r] ?? '';
        for (const c of columns) text += `,${c[r]}`;
        text += '\n';
      }
      await put(text);
    },
    async finish() {
      await close();
    },
    abort() {
      close().catch(() => undefined);
    },
  };
}

/**
 * Parquet through DuckDB: rows are appended to a table in an on-disk scratch database `scratch`
 * (so memory stays flat; DuckDB adds `scratch.wal`), copied to Parquet at the end.
 */
export async function parquetWriter(
  path: string,
  scratch: string,
  names: readonly string[],
  kinds: readonly ('double' | 'label')[],
): Promise<TableWriter> {
  const instance = await DuckDBInstance.create(scratch, { threads: '1', memory_limit: '256MB' });
  const conn = await instance.connect();
  const cols = [`${sqlIdent(names[0] as string)} VARCHAR`, ...names.slice(1).map((n, i) => `${sqlIdent(n)} ${kinds[i] === 'label' ? 'UTINYINT' : 'DOUBLE'}`)];
  await conn.run(`CREATE TABLE rows_out (${cols.join(', ')})`);
  const appender: DuckDBAppender = await conn.createAppender('rows_out');
  let cleaned = false;
  const cleanup = () => {
    if (cleaned) return;
    cleaned = true;
    try {
      appender.closeSync();
    } catch {
      // already closed
    }
    conn.closeSync();
    instance.closeSync();
    rmSync(scratch, { force: true });
    rmSync(`${scratch}.wal`, { force: true });
  };
  return {
    async write(timestamps, columns, rows) {
      for (let start = 0; start < rows; start += 2048) {
        const n = Math.min(2048, rows - start);
        const chunk = DuckDBDataChunk.create([VARCHAR, ...kinds.map((k) => (k === 'label' ? UTINYINT : DOUBLE))], n);
        chunk.setColumnValues(0, timestamps.slice(start, start + n));
        columns.forEach((c, i) => chunk.setColumnValues(i + 1, Array.from(c.subarray(start, start + n))));
        appender.appendDataChunk(chunk);
      }
    },
    async finish() {
      appender.closeSync();
      await conn.run(`COPY rows_out TO ${sqlString(path)} (FORMAT parquet)`);
      cleanup();
    },
    abort() {
      cleanup();
    },
  };
}
