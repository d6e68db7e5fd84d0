/**
 * Streaming table input and output for the CLI, through DuckDB (@duckdb/node-api): CSV and
 * Parquet in, CSV or Parquet out, in chunks, so memory stays flat whatever the file size.
 * Why DuckDB: docs/cli.md (measured against csv-parse and hyparquet).
 * @internal
 */
import { rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { extname } from 'node:path';
import {
  DOUBLE,
  type DuckDBAppender,
  type DuckDBConnection,
  DuckDBDataChunk,
  DuckDBInstance,
  type DuckDBVector,
  UTINYINT,
  VARCHAR,
} from '@duckdb/node-api';
import { FeatureMismatchError, InvalidArgumentError, InvalidInputFileError } from '../errors.js';
import { type LongLine, MAX_LINE_BYTES, findLongLines, readCsvHeader } from './csv-scan.js';

export type TableFormat = 'csv' | 'parquet';

export function formatOf(path: string, explicit?: string): TableFormat {
  const f = (explicit ?? extname(path).slice(1)).toLowerCase();
  if (f === 'csv' || f === 'txt' || f === 'tsv') return 'csv';
  if (f === 'parquet' || f === 'pq') return 'parquet';
  throw new InvalidArgumentError(`${path}: unknown table format '${f}' (use .csv or .parquet, or --format)`);
}

const sqlString = (s: string) => `'${s.replace(/'/g, "''")}'`;
const sqlIdent = (s: string) => `"${s.replace(/"/g, '""')}"`;

/**
 * With --skip-invalid, a line over MAX_LINE_BYTES is handed to DuckDB in a buffer sized to hold it
 * (DuckDB drops a line longer than its buffer without a word); this bounds that buffer.
 */
export const MAX_SKIPPABLE_LINE_BYTES = 64 << 20;

const bytes = (n: number) => `${n.toLocaleString('en-US')} bytes`;
const tooLong = (l: LongLine) => `the line is ${bytes(l.bytes)} long, over the limit of ${bytes(MAX_LINE_BYTES)} per line`;

/** One chunk of rows: the numeric columns asked for (NULL -> NaN), and the timestamps. */
export interface InputChunk {
  rows: number;
  columns: Float64Array[];
  /** Timestamp text per row ('' when the input has no timestamp column). */
  timestamps: string[];
  /** Timestamp as a number (epoch ms, or the value itself when numeric); NaN when unparseable. */
  order: Float64Array;
}

export interface TableReader {
  /** Total rows, when cheap to know (Parquet metadata, or a counting pass when asked). */
  count(): Promise<number>;
  chunks(): AsyncGenerator<InputChunk>;
  /** With skipInvalid: the rejected lines (line number and reason), after chunks() ends. */
  rejects(): Promise<{ line: number; message: string }[]>;
  close(): void;
}

const TIMESTAMP_NAMES = ['timestamp', 'time', 'date', 'datetime', 'open_time'];

/**
 * Opens `path` and checks that it has `numeric` columns (named in the message if not).
 * Errors on malformed lines name the line, unless `skipInvalid`.
 */
export async function openTable(path: string, format: TableFormat, numeric: readonly string[], skipInvalid: boolean): Promise<TableReader> {
  let source: string;
  let header: string[] = [];
  let longLines: LongLine[] = [];
  if (format === 'csv') {
    const h = readCsvHeader(path);
    header = h.names;
    longLines = findLongLines(path, h.newline);
    const first = longLines[0];
    if (first && !skipInvalid) {
      throw new InvalidInputFileError(`${path}: line ${first.line}: ${tooLong(first)} (use --skip-invalid to skip such lines)`);
    }
    const longest = longLines.reduce((m, l) => (l.bytes > m.bytes ? l : m), first ?? { line: 0, offset: 0, bytes: 0 });
    if (longest.bytes > MAX_SKIPPABLE_LINE_BYTES) {
      throw new InvalidInputFileError(
        `${path}: line ${longest.line}: ${tooLong(longest)}, too long even to be skipped (--skip-invalid skips lines of up to ` +
          `${bytes(MAX_SKIPPABLE_LINE_BYTES)}): remove it`,
      );
    }
    // DuckDB refuses a line of max_line_size bytes or more, but its parallel reader drops a line
    // longer than its buffer without a word: with long lines, the one-thread reader and a buffer
    // that holds the longest one.
    const big = first ? `, parallel=false, buffer_size=${Math.max(16 * (MAX_LINE_BYTES + 1), longest.bytes + (1 << 20))}` : '';
    const types = header.map((c) => `${sqlString(c)}: ${numeric.includes(c) ? "'DOUBLE'" : "'VARCHAR'"}`).join(', ');
    source =
      `read_csv(${sqlString(path)}, header=true, auto_detect=false, delim=',', quote='"', escape='"', ` +
      `columns={${types}}, nullstr=['', 'NA', 'null'], max_line_size=${MAX_LINE_BYTES + 1}${big}` +
      `${skipInvalid ? ', ignore_errors=true, store_rejects=true' : ''})`;
  } else {
    source = `read_parquet(${sqlString(path)})`;
  }
  const instance = await DuckDBInstance.create(':memory:', { threads: '1', memory_limit: '256MB' });
  const conn = await instance.connect();
  const close = () => {
    conn.closeSync();
    instance.closeSync();
  };
  if (format === 'parquet') {
    try {
      const d = await conn.runAndReadAll(`DESCRIBE SELECT * FROM ${source}`);
      header = d.getRows().map((r) => String(r[0]));
    } catch (e) {
      close();
      throw readError(path, e);
    }
  }
  const missing = numeric.filter((c) => !header.includes(c));
  if (missing.length > 0) {
    close();
    const has = header.length > 30 ? `${header.slice(0, 30).join(', ')}, ... (${header.length} columns)` : header.join(', ');
    throw new FeatureMismatchError(`${path}: missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (it has: ${has})`);
  }
  const ts = header.find((h) => TIMESTAMP_NAMES.includes(h.toLowerCase()));
  const tsText = ts ? `CAST(${sqlIdent(ts)} AS VARCHAR)` : "''";
  const tsOrder = ts
    ? `COALESCE(CAST(epoch_ms(TRY_CAST(${sqlIdent(ts)} AS TIMESTAMPTZ)) AS DOUBLE), TRY_CAST(${sqlIdent(ts)} AS DOUBLE), 'NaN'::DOUBLE)`
    : "'NaN'::DOUBLE";
  const select = `SELECT ${numeric.map((c) => `CAST(${sqlIdent(c)} AS DOUBLE)`).join(', ')}, ${tsText}, ${tsOrder} FROM ${source}`;

  return {
    async count() {
      const r = await conn.runAndReadAll(`SELECT count(*) FROM ${source}`);
      return Number(r.getRows()[0]?.[0] ?? 0);
    },
    async *chunks() {
      let result: Awaited<ReturnType<DuckDBConnection['stream']>>;
      try {
        result = await conn.stream(select);
      } catch (e) {
        throw readError(path, e);
      }
      for (;;) {
        let chunk: DuckDBDataChunk | null;
        try {
          chunk = await result.fetchChunk();
        } catch (e) {
          throw readError(path, e);
        }
        if (!chunk || chunk.rowCount === 0) return;
        const rows = chunk.rowCount;
        const columns = numeric.map((_, i) => toFloat64(chunk.getColumnVector(i), rows));
        const tsVec = chunk.getColumnVector(numeric.length);
        const timestamps = new Array<string>(rows);
        for (let r = 0; r < rows; r++) timestamps[r] = (tsVec.getItem(r) as string | null) ?? '';
        const order = toFloat64(chunk.getColumnVector(numeric.length + 1), rows);
        yield { rows, columns, timestamps, order };
      }
    },
    async rejects() {
      if (!skipInvalid || format !== 'csv') return [];
      const r = await conn.runAndReadAll('SELECT line, column_name, error_message FROM reject_errors ORDER BY line, byte_position');
      // One entry per line (a short line is reported once per missing column).
      const byLine = new Map<number, string>();
      for (const [line, column, message] of r.getRows()) {
        if (!byLine.has(Number(line))) byLine.set(Number(line), column === null ? String(message) : `${column}: ${message}`);
      }
      // A long line is listed whatever DuckDB made of it, so that none can vanish.
      for (const l of longLines) byLine.set(l.line, tooLong(l));
      return [...byLine].sort((a, b) => a[0] - b[0]).map(([line, message]) => ({ line, message }));
    },
    close,
  };
}

function toFloat64(v: DuckDBVector, rows: number): Float64Array {
  const out = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    const x = v.getItem(r) as number | null;
    out[r] = x === null ? Number.NaN : x;
  }
  return out;
}

/** DuckDB's CSV errors, reduced to the line and the reason. */
function readError(path: string, e: unknown): Error {
  const msg = e instanceof Error ? e.message : String(e);
  const line = /Line: (\d+)/.exec(msg)?.[1];
  const reason = msg
    .split('\n')
    .find((l) => /Error when converting|Expected Number of Columns|Could not convert|too many columns|Value with unterminated quote|Maximum line size/i.test(l));
  if (line) {
    // DuckDB quotes the offending value, which can be a whole long line.
    const why = (reason ?? msg.split('\n')[0] ?? '').replace(/"([^"]{60})[^"]{20,}"/g, '"$1..."');
    return new InvalidInputFileError(`${path}: line ${line}: ${why} (use --skip-invalid to skip such lines)`);
  }
  return new InvalidInputFileError(`${path}: ${msg.split('\n')[0]}`);
}

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
  const fh = await open(path, 'r+');
  // FileHandle.write may write less than asked (a file size limit, a full disk): loop, so that the
  // next write reports the error instead of losing the rest.
  const put = async (text: string) => {
    const buf = Buffer.from(text);
    for (let done = 0; done < buf.length; ) done += (await fh.write(buf, done)).bytesWritten;
  };
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await fh.close();
  };
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
  await conn.run(`CREATE TABLE scores (${cols.join(', ')})`);
  const appender: DuckDBAppender = await conn.createAppender('scores');
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
      await conn.run(`COPY scores TO ${sqlString(path)} (FORMAT parquet)`);
      cleanup();
    },
    abort() {
      cleanup();
    },
  };
}
