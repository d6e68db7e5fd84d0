/**
 * The CSV writer: scored batches as text lines (timestamps in ISO 8601 UTC, numbers in the
 * shortest form that reads back to the same double), written to an existing file in order.
 * @internal
 */
import { open } from 'node:fs/promises';
import type { BatchWriter, ScoredBatch } from './batch.js';

const TWO = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, '0'));
const DAY_MS = 86_400_000;

/** Epoch µs to `YYYY-MM-DDTHH:MM:SS[.mmm|.uuuuuu]Z`, the date part cached (rows come in time order). */
export class IsoTime {
  #day = Number.NaN;
  #prefix = '';

  format(us: number): string {
    if (us !== us) return '';
    const ms = Math.floor(us / 1000);
    const day = Math.floor(ms / DAY_MS);
    if (day !== this.#day) {
      this.#day = day;
      this.#prefix = new Date(day * DAY_MS).toISOString().slice(0, 11);
    }
    let rem = ms - day * DAY_MS;
    const h = Math.floor(rem / 3_600_000);
    rem -= h * 3_600_000;
    const m = Math.floor(rem / 60_000);
    rem -= m * 60_000;
    const s = Math.floor(rem / 1000);
    const sub = us - Math.floor(us / 1e6) * 1e6; // µs within the second
    const frac = sub === 0 ? '' : sub % 1000 === 0 ? `.${String(sub / 1000).padStart(3, '0')}` : `.${String(sub).padStart(6, '0')}`;
    return `${this.#prefix}${TWO[h]}:${TWO[m]}:${TWO[s]}${frac}Z`;
  }
}

/**
 * Writes into the existing file `path` (never created here: a removed temporary file stays
 * removed); a failed write rejects with the system's error. `withSymbol`: a first `symbol` column.
 */
/**
 * Text into the existing file `path` (never created here: a removed temporary file stays
 * removed): `put` appends and rejects with the system's error, `close` is idempotent.
 */
export async function textFile(path: string): Promise<{ put(text: string): Promise<void>; close(): Promise<void> }> {
  const fh = await open(path, 'r+');
  let closed = false;
  return {
    // FileHandle.write may write less than asked (a file size limit, a full disk): loop, so that
    // the next write reports the error instead of losing the rest.
    async put(text: string) {
      const buf = Buffer.from(text);
      for (let done = 0; done < buf.length; ) done += (await fh.write(buf, done)).bytesWritten;
    },
    async close() {
      if (closed) return;
      closed = true;
      await fh.close();
    },
  };
}

export async function csvWriter(path: string, withSymbol: boolean): Promise<BatchWriter> {
  const { put, close } = await textFile(path);
  let busyMs = 0;
  const time = new IsoTime();
  await put(`${withSymbol ? 'symbol,' : ''}timestamp,lightgbm,xgboost,random_forest,ensemble,label\n`);
  return {
    get busyMs() {
      return busyMs;
    },
    async write(b: ScoredBatch) {
      const t0 = performance.now();
      const quoted = withSymbol ? b.symbols.map(csvField) : [];
      const lines = new Array<string>(b.rows);
      for (let r = 0; r < b.rows; r++) {
        const line = `${time.format(b.timeUs[r] as number)},${b.lightgbm[r]},${b.xgboost[r]},${b.randomForest[r]},${b.ensemble[r]},${b.label[r]}`;
        lines[r] = withSymbol ? `${quoted[b.symbolIndex[r] as number]},${line}` : line;
      }
      lines.push('');
      busyMs += performance.now() - t0;
      await put(lines.join('\n'));
    },
    async finish() {
      await close();
    },
    abort() {
      close().catch(() => undefined);
    },
  };
}

/** A CSV field, quoted when it holds a delimiter, a quote or a line break. */
function csvField(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
