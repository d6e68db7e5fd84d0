/**
 * The reader's SQL: which columns the input has (the CSV header read by the package, the Parquet
 * schema from DuckDB), the symbol and time columns and how the time becomes epoch microseconds,
 * the CSV checks DuckDB cannot be trusted with, and DuckDB's errors made readable.
 * @internal
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { EnsembleError, FeatureMismatchError, InvalidInputFileError } from '../errors.js';
import { type LongLine, MAX_LINE_BYTES, findLongLines, readCsvHeader } from './csv-scan.js';
import type { TimeUnit } from './options.js';
import type { InputSource } from './source.js';

const TIMESTAMP_NAMES = ['timestamp', 'time', 'date', 'datetime', 'open_time'];

/**
 * With --skip-invalid, a line over MAX_LINE_BYTES is handed to DuckDB in a buffer sized to hold it
 * (DuckDB drops a line longer than its buffer without a word); this bounds that buffer.
 */
export const MAX_SKIPPABLE_LINE_BYTES = 64 << 20;

export const bytes = (n: number) => `${n.toLocaleString('en-US')} bytes`;
export const tooLong = (l: LongLine) => `the line is ${bytes(l.bytes)} long, over the limit of ${bytes(MAX_LINE_BYTES)} per line`;
export const sqlString = (s: string) => `'${s.replace(/'/g, "''")}'`;
export const sqlIdent = (s: string) => `"${s.replace(/"/g, '""')}"`;

/** What the reader needs to know to read an input. */
export interface PlanOptions {
  /** Numeric columns to read (candles: open..volume; feature rows: the model's names). */
  numeric: readonly string[];
  /** The symbol column: a name, `false` for none, undefined for `symbol` when present. */
  symbolColumn?: string | false;
  skipInvalid: boolean;
  timeUnit?: TimeUnit;
  /** Symbols to leave out (complete partitions of a resumed run). */
  exclude?: ReadonlySet<string>;
}

/** The input's query: `select` streams the numeric columns, the time (µs), file_index and the symbol. */
export interface Plan {
  /** The table function reading the input (`read_csv(...)` / `read_parquet(...)`). */
  from: string;
  /** The input's files as a SQL list. */
  list: string;
  /** ` WHERE ...` leaving out excluded symbols, or '' (for the counting queries only). */
  where: string;
  select: string;
  timeName: string | undefined;
  symbolName: string | undefined;
  csv: CsvFacts | undefined;
}

export interface CsvFacts {
  header: string[];
  longLines: Map<string, LongLine[]>;
  longest: number;
}

function csvFacts(files: readonly string[], skipInvalid: boolean): CsvFacts {
  let header: string[] | undefined;
  const longLines = new Map<string, LongLine[]>();
  let longest = 0;
  for (const f of files) {
    const h = readCsvHeader(f);
    if (header === undefined) header = h.names;
    else if (h.names.join(',') !== header.join(',')) {
      throw new InvalidInputFileError(
        `${f}: its columns (${h.names.join(', ')}) differ from those of ${files[0]} (${header.join(', ')}): the files of one input must have the same header`,
      );
    }
    const long = findLongLines(f, h.newline);
    const first = long[0];
    if (first && !skipInvalid) {
      throw new InvalidInputFileError(`${f}: line ${first.line}: ${tooLong(first)} (use --skip-invalid to skip such lines)`);
    }
    for (const l of long) {
      if (l.bytes > MAX_SKIPPABLE_LINE_BYTES) {
        throw new InvalidInputFileError(
          `${f}: line ${l.line}: ${tooLong(l)}, too long even to be skipped (--skip-invalid skips lines of up to ` +
            `${bytes(MAX_SKIPPABLE_LINE_BYTES)}): remove it`,
        );
      }
      longest = Math.max(longest, l.bytes);
    }
    if (long.length > 0) longLines.set(f, long);
  }
  return { header: header ?? [], longLines, longest };
}

/**
 * Epoch µs from timestamp text, or +Infinity for text that is not a time, which the feature stage
 * reports naming its line. Not a typed CSV column: DuckDB 1.5.6's CSV reader turns a TIMESTAMPTZ
 * it cannot parse into NULL without a word, and its TIMESTAMP drops a UTC offset. Text that does
 * not start with a digit is refused too: DuckDB reads 'now', 'today', 'yesterday' and 'infinity'
 * as times.
 */
function textMicros(t: string): string {
  return (
    `CASE WHEN ${t} IS NULL THEN NULL WHEN ascii(${t}) NOT BETWEEN 48 AND 57 THEN 'inf'::DOUBLE ` +
    `ELSE coalesce(CAST(epoch_us(TRY_CAST(${t} AS TIMESTAMPTZ)) AS DOUBLE), 'inf'::DOUBLE) END`
  );
}

/** Epoch µs from a numeric value in `unit` (auto: by magnitude, see docs/cli.md). */
function epochMicros(x: string, unit: TimeUnit): string {
  switch (unit) {
    case 's':
      return `round(${x} * 1e6)`;
    case 'ms':
      return `round(${x} * 1e3)`;
    case 'us':
      return `round(${x})`;
    case 'ns':
      return `round(${x} / 1e3)`;
    default:
      return `CASE WHEN abs(${x}) < 1e11 THEN round(${x} * 1e6) WHEN abs(${x}) < 1e14 THEN round(${x} * 1e3) WHEN abs(${x}) < 1e17 THEN round(${x}) ELSE round(${x} / 1e3) END`;
  }
}

/** Checks the input's columns and builds its query. */
export async function planQuery(source: InputSource, opts: PlanOptions, conn: DuckDBConnection): Promise<Plan> {
  const { files, format } = source;
  const list = `[${files.map(sqlString).join(', ')}]`;
  const hive = source.hiveKeys.length > 0 ? ', hive_partitioning=true, hive_types_autocast=false' : ', hive_partitioning=false';
  let header: string[];
  let types = new Map<string, string>();
  let csv: CsvFacts | undefined;
  let from: (timeType: string) => string;
  const first = files[0] as string;
  if (format === 'csv') {
    csv = csvFacts(files, opts.skipInvalid);
    header = [...csv.header, ...source.hiveKeys.filter((k) => !csv?.header.includes(k))];
    const facts = csv;
    // DuckDB refuses a line of max_line_size bytes or more, but its parallel reader drops a line
    // longer than its buffer without a word: with long lines, the one-thread reader and a buffer
    // that holds the longest one.
    const big = facts.longLines.size > 0 ? `, parallel=false, buffer_size=${Math.max(16 * (MAX_LINE_BYTES + 1), facts.longest + (1 << 20))}` : '';
    from = (timeType) => {
      const cols = facts.header.map((c) => `${sqlString(c)}: ${opts.numeric.includes(c) ? "'DOUBLE'" : c === timeName ? `'${timeType}'` : "'VARCHAR'"}`).join(', ');
      return (
        `read_csv(${list}, header=true, auto_detect=false, delim=',', quote='"', escape='"', ` +
        `columns={${cols}}, nullstr=['', 'NA', 'null'], max_line_size=${MAX_LINE_BYTES + 1}${big}${hive}` +
        `${opts.skipInvalid ? ', ignore_errors=true, store_rejects=true' : ''})`
      );
    };
  } else {
    from = () => `read_parquet(${list}${hive})`;
    try {
      const d = await conn.runAndReadAll(`DESCRIBE SELECT * FROM ${from('')}`);
      header = d.getRows().map((r) => String(r[0]));
      types = new Map(d.getRows().map((r) => [String(r[0]), String(r[1])]));
    } catch (e) {
      throw readError(first, e);
    }
  }
  const missing = opts.numeric.filter((c) => !header.includes(c));
  if (missing.length > 0) {
    const has = header.length > 30 ? `${header.slice(0, 30).join(', ')}, ... (${header.length} columns)` : header.join(', ');
    throw new FeatureMismatchError(`${first}: missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (it has: ${has})`);
  }
  const timeName = header.find((h) => TIMESTAMP_NAMES.includes(h.toLowerCase()));
  let symbolName: string | undefined;
  if (typeof opts.symbolColumn === 'string') {
    if (!header.includes(opts.symbolColumn)) {
      throw new FeatureMismatchError(`${first}: no symbol column '${opts.symbolColumn}' (it has: ${header.join(', ')})`);
    }
    symbolName = opts.symbolColumn;
  } else if (opts.symbolColumn === undefined) {
    symbolName = header.find((h) => h.toLowerCase() === 'symbol');
  }

  // The timestamp as epoch µs (DOUBLE: exact for every µs within ±285 years of 1970).
  const unit = opts.timeUnit ?? 'auto';
  let timeType = 'VARCHAR';
  let timeExpr = "'NaN'::DOUBLE";
  if (timeName) {
    const t = sqlIdent(timeName);
    if (format === 'csv') {
      timeType = (await csvTimeIsNumeric(conn, files, (csv as CsvFacts).header, timeName)) ? 'DOUBLE' : 'VARCHAR';
      timeExpr = timeType === 'DOUBLE' ? epochMicros(t, unit) : textMicros(t);
    } else {
      const ty = (types.get(timeName) ?? '').toUpperCase();
      if (ty.startsWith('TIMESTAMP') || ty === 'DATE') timeExpr = `epoch_us(CAST(${t} AS TIMESTAMPTZ))`;
      else if (ty === 'VARCHAR') timeExpr = textMicros(t);
      else timeExpr = epochMicros(`CAST(${t} AS DOUBLE)`, unit);
    }
    timeExpr = `CAST(${timeExpr} AS DOUBLE)`;
  }
  const source_ = from(timeType);
  const symbolExprs = symbolName ? `, CAST(${sqlIdent(symbolName)} AS VARCHAR), hash(CAST(${sqlIdent(symbolName)} AS VARCHAR))` : '';
  const where =
    symbolName && opts.exclude && opts.exclude.size > 0
      ? ` WHERE CAST(${sqlIdent(symbolName)} AS VARCHAR) NOT IN (${[...opts.exclude].map(sqlString).join(', ')})`
      : '';
  // No WHERE in the streamed query: DuckDB 1.5.6 moves the first rows a filter lets through to the
  // end of a streamed CSV scan (measured), so excluded symbols are dropped by the block builder.
  const select = `SELECT ${opts.numeric.map((c) => `CAST(${sqlIdent(c)} AS DOUBLE)`).join(', ')}, ${timeExpr}, file_index${symbolExprs} FROM ${source_}`;
  return { from: source_, list, where, select, timeName, symbolName, csv };
}

/** Whether the first non-empty value of the CSV time column looks like a number (epoch time). */
async function csvTimeIsNumeric(conn: DuckDBConnection, files: readonly string[], header: readonly string[], column: string): Promise<boolean> {
  const cols = header.map((c) => `${sqlString(c)}: 'VARCHAR'`).join(', ');
  const r = await conn.runAndReadAll(
    `SELECT ${sqlIdent(column)} FROM read_csv(${sqlString(files[0] as string)}, header=true, auto_detect=false, columns={${cols}}, ` +
      `delim=',', quote='"', escape='"', nullstr=['', 'NA', 'null'], max_line_size=${MAX_LINE_BYTES + 1}, ignore_errors=true) ` +
      `WHERE ${sqlIdent(column)} IS NOT NULL LIMIT 1`,
  );
  const v = r.getRows()[0]?.[0];
  return v !== undefined && v !== null && /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/.test(String(v));
}

/** DuckDB's errors, reduced to the file, the line and the reason. */
export function readError(path: string, e: unknown): Error {
  if (e instanceof EnsembleError) return e;
  const msg = e instanceof Error ? e.message : String(e);
  const line = /Line: (\d+)/.exec(msg)?.[1];
  // DuckDB names the file in its CSV errors' parameter list ("  file = /path/x.csv").
  const file = /^\s*file = (.+)$/m.exec(msg)?.[1]?.trim() ?? path;
  const reason = msg
    .split('\n')
    .find((l) => /Error when converting|Expected Number of Columns|Could not convert|too many columns|Value with unterminated quote|Maximum line size/i.test(l));
  if (line) {
    // DuckDB quotes the offending value, which can be a whole long line.
    const why = (reason ?? msg.split('\n')[0] ?? '').replace(/"([^"]{60})[^"]{20,}"/g, '"$1..."');
    return new InvalidInputFileError(`${file}: line ${line}: ${why} (use --skip-invalid to skip such lines)`);
  }
  return new InvalidInputFileError(`${path}: ${msg.split('\n')[0]}`);
}
