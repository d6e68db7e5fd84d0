/**
 * Byte-level checks of a CSV file that DuckDB cannot be trusted with: the header, however wide,
 * and lines over the line-length limit, which DuckDB's reader can drop without a word.
 * @internal
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { InvalidInputFileError } from '../errors.js';

/** The longest line accepted, in bytes (without its `\n`; a `\r` before it counts). */
export const MAX_LINE_BYTES = 2_000_000;

const NL = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;
const CHUNK = 8 << 20;

/** A line over {@link MAX_LINE_BYTES}. */
export interface LongLine {
  /** 1-based line number, counted as DuckDB counts it (one per record; the header is line 1). */
  line: number;
  /** Byte offset of its first byte. */
  offset: number;
  /** Its length in bytes. */
  bytes: number;
}

/** The header's fields and the byte that ends a line in this file (`\n`, or `\r` for CR-only files). */
export interface CsvHeader {
  names: string[];
  newline: number;
}

function readChunk(fd: number, buf: Buffer, position: number): number {
  let n = 0;
  while (n < buf.length) {
    const got = readSync(fd, buf, n, buf.length - n, position + n);
    if (got === 0) break;
    n += got;
  }
  return n;
}

/**
 * Reads the first record whole, however wide (up to {@link MAX_LINE_BYTES}), and splits it into
 * names: a UTF-8 BOM is dropped; quoted names may hold commas, `""` and line breaks; unquoted names
 * are trimmed.
 */
export function readCsvHeader(path: string): CsvHeader {
  const fd = openSync(path, 'r');
  try {
    const parts: Buffer[] = [];
    let size = 0;
    let inQuotes = false;
    let newline = NL;
    let end = -1;
    for (let pos = 0; end < 0; ) {
      const buf = Buffer.allocUnsafe(Math.min(Math.max(64 << 10, size), CHUNK));
      const n = readChunk(fd, buf, pos);
      let i = 0;
      for (; i < n; i++) {
        const b = buf[i] as number;
        if (b === QUOTE) inQuotes = !inQuotes;
        else if (!inQuotes && (b === NL || b === CR)) {
          end = size + i;
          if (b === CR) {
            const after = Buffer.alloc(1);
            newline = readSync(fd, after, 0, 1, end + 1) === 1 && after[0] === NL ? NL : CR;
          }
          break;
        }
      }
      parts.push(buf.subarray(0, Math.min(i, n)));
      size += Math.min(i, n);
      pos += n;
      if (size > MAX_LINE_BYTES) {
        throw new InvalidInputFileError(
          `${path}: line 1 (the header) is longer than the limit of ${MAX_LINE_BYTES.toLocaleString('en-US')} bytes per line` +
            (inQuotes ? ' (a quote in it is never closed)' : ''),
        );
      }
      if (n < buf.length && end < 0) end = size; // end of file
    }
    let text = Buffer.concat(parts).toString('utf8');
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    return { names: splitRecord(text), newline };
  } finally {
    closeSync(fd);
  }
}

/** Splits one CSV record (delimiter `,`, quote and escape `"`). */
function splitRecord(text: string): string[] {
  const names: string[] = [];
  let field = '';
  let quoted = false;
  let inQuotes = false;
  for (let i = 0; i <= text.length; i++) {
    const c = text[i];
    if (inQuotes) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') inQuotes = false;
      else if (c !== undefined) field += c;
      continue;
    }
    if (c === ',' || c === undefined) {
      names.push(quoted ? field : field.trim());
      field = '';
      quoted = false;
    } else if (c === '"' && field.trim() === '') {
      field = '';
      quoted = true;
      inQuotes = true;
    } else if (!(quoted && (c === ' ' || c === '\t'))) field += c;
  }
  return names;
}

/**
 * Every line longer than {@link MAX_LINE_BYTES}, in one read of the file. A line break is looked
 * for within the limit after each line start (a backward search from the limit), so the pass costs
 * about one read of the file. Lines are physical lines; a quoted field spanning lines is left to
 * DuckDB, whose own limit check sees such a record whole. `limit` and `chunk` are for tests.
 */
export function findLongLines(path: string, newline: number, limit = MAX_LINE_BYTES, chunk = CHUNK): LongLine[] {
  const found: { offset: number; bytes: number }[] = [];
  const fd = openSync(path, 'r');
  const buf = Buffer.allocUnsafe(chunk);
  try {
    let lineStart = 0; // absolute offset of the current line's first byte
    let inLong = false; // the current line is already known to be too long
    let pos = 0;
    for (;;) {
      const n = readChunk(fd, buf, pos);
      if (n === 0) break;
      let at = 0; // where to resume in this chunk
      for (;;) {
        if (inLong) {
          const e = buf.indexOf(newline, at);
          if (e < 0 || e >= n) break;
          found.push({ offset: lineStart, bytes: pos + e - lineStart });
          inLong = false;
          lineStart = pos + e + 1;
          at = e + 1;
          continue;
        }
        const deadline = lineStart + limit - pos; // a break must come at or before this index
        if (deadline >= n) {
          const q = buf.lastIndexOf(newline, n - 1);
          if (q >= at && pos + q >= lineStart) lineStart = pos + q + 1;
          break;
        }
        const q = buf.lastIndexOf(newline, deadline);
        if (q >= 0 && pos + q >= lineStart) {
          lineStart = pos + q + 1;
          at = q + 1;
        } else {
          inLong = true;
          at = deadline + 1;
        }
      }
      pos += n;
      if (n < buf.length) break;
    }
    if (pos - lineStart > limit) found.push({ offset: lineStart, bytes: pos - lineStart });
    return numberLines(fd, buf, found, newline);
  } finally {
    closeSync(fd);
  }
}

/**
 * Numbers lines as DuckDB does (records, not physical lines: a line break inside quotes does not
 * count). Runs only when a long line was found, so the normal path does not pay for it.
 */
function numberLines(fd: number, buf: Buffer, lines: { offset: number; bytes: number }[], newline: number): LongLine[] {
  const out: LongLine[] = [];
  if (lines.length === 0) return out;
  let line = 1;
  let inQuotes = false;
  let pos = 0;
  let next = 0;
  for (;;) {
    const n = readChunk(fd, buf, pos);
    let i = 0;
    let nq = -1; // the next quote at or after i in this chunk (n: none), found once per quote
    while (next < lines.length) {
      const target = (lines[next] as { offset: number }).offset - pos; // count up to here
      const stop = Math.min(target, n);
      while (i < stop) {
        if (nq < i) {
          const d = buf.indexOf(QUOTE, i);
          nq = d < 0 || d >= n ? n : d;
        }
        if (inQuotes) {
          if (nq < stop) {
            inQuotes = false;
            i = nq + 1;
          } else i = stop;
          continue;
        }
        const e = buf.indexOf(newline, i);
        const nl = e < 0 || e >= n ? n : e;
        if (nq < nl && nq < stop) {
          inQuotes = true;
          i = nq + 1;
        } else if (nl < stop) {
          line++;
          i = nl + 1;
        } else i = stop;
      }
      if (target > n) break;
      const l = lines[next] as { offset: number; bytes: number };
      out.push({ line, offset: l.offset, bytes: l.bytes });
      next++;
    }
    if (next >= lines.length || n < buf.length) break;
    pos += n;
  }
  return out;
}
