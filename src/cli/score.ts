/**
 * `production-ensemble score`: streams candles (or ready feature rows) from CSV / Parquet through
 * the 12 technical features and the ensemble, in chunks, writing one output row per scored row.
 * Memory stays flat; the output appears under its final name only when complete.
 * @internal
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { SingleBar } from 'cli-progress';
import { InvalidArgumentError, InvalidInputFileError } from '../errors.js';
import { ProductionEnsemble } from '../ensemble.js';
import { TechnicalFeatures } from '../features.js';
import { OutputFile } from './output-file.js';
import { type TableReader, type TableWriter, csvWriter, formatOf, openTable, parquetWriter } from './table-io.js';

/** Rows scored per native call: large enough to use every core, small enough to stay flat. */
const BATCH_ROWS = 65_536;
const CANDLE_COLUMNS = ['open', 'high', 'low', 'close', 'volume'] as const;
const OUTPUT_COLUMNS = ['timestamp', 'lightgbm', 'xgboost', 'random_forest', 'ensemble', 'label'];

export interface ScoreOptions {
  output?: string;
  format?: string;
  outputFormat?: string;
  models: string;
  threads: number;
  fromFeatures?: boolean;
  warmup?: 'skip' | 'nan';
  skipInvalid?: boolean;
  /** Show a progress bar (default: when stderr is a TTY). */
  progress?: boolean;
}

export interface ScoreSummary {
  input: string;
  output?: string;
  inputRows: number;
  scoredRows: number;
  warmupRows: number;
  warmupPolicy: 'skip' | 'nan';
  invalidRows: number;
  invalidLines: { line: number; message: string }[];
  nonIncreasingTimestamps: number;
  seconds: number;
  rowsPerSecond: number;
  up: number;
  down: number;
  threshold: number;
  /** Peak resident memory of this process, MiB. */
  peakRssMiB: number;
  meanProbability: { ensemble: number; lightgbm: number; xgboost: number; randomForest: number };
}

export async function scoreFile(input: string, opts: ScoreOptions): Promise<ScoreSummary> {
  if (!existsSync(input)) throw new InvalidArgumentError(`input file ${input} does not exist`);
  const inFormat = formatOf(input, opts.format);
  const outFormat = opts.output ? formatOf(opts.output, opts.outputFormat) : undefined;
  // Checked (and the temporary file created) before any work; removed on any failure or signal.
  const out = opts.output ? OutputFile.create(opts.output, [input]) : undefined;
  const started = performance.now();
  let model: ProductionEnsemble | undefined;
  let reader: TableReader | undefined;
  try {
    model = await ProductionEnsemble.load(opts.models, opts.threads > 0 ? { threads: opts.threads } : {});
    reader = await openTable(input, inFormat, opts.fromFeatures ? model.featureNames : CANDLE_COLUMNS, opts.skipInvalid ?? false);
    return await score(input, opts, started, model, reader, out, outFormat);
  } catch (e) {
    out?.discard();
    throw e;
  } finally {
    reader?.close();
    model?.close();
  }
}

async function score(
  input: string,
  opts: ScoreOptions,
  started: number,
  model: ProductionEnsemble,
  reader: TableReader,
  out: OutputFile | undefined,
  outFormat: 'csv' | 'parquet' | undefined,
): Promise<ScoreSummary> {
  const warmupPolicy = opts.warmup ?? 'skip';
  const fromFeatures = opts.fromFeatures ?? false;
  const names = model.featureNames;
  const n = names.length;
  const features = fromFeatures ? undefined : new TechnicalFeatures({ warmup: warmupPolicy });
  let writer: TableWriter | undefined;
  let finished: string | undefined;
  // Every write failure (a full disk, a vanished directory) becomes the output's coded error.
  const onOutput = async <T>(op: () => Promise<T>): Promise<T> => {
    try {
      return await op();
    } catch (e) {
      throw (out as OutputFile).error(e);
    }
  };

  const showProgress = opts.progress ?? process.stderr.isTTY === true;
  let bar: SingleBar | undefined;

  const s: ScoreSummary = {
    input,
    inputRows: 0,
    scoredRows: 0,
    warmupRows: 0,
    warmupPolicy,
    invalidRows: 0,
    invalidLines: [],
    nonIncreasingTimestamps: 0,
    seconds: 0,
    rowsPerSecond: 0,
    up: 0,
    down: 0,
    threshold: model.threshold,
    peakRssMiB: 0,
    meanProbability: { ensemble: 0, lightgbm: 0, xgboost: 0, randomForest: 0 },
  };
  if (opts.output) s.output = opts.output;
  const sums = { ensemble: 0, lightgbm: 0, xgboost: 0, randomForest: 0 };

  let batch = new Float64Array(BATCH_ROWS * n);
  let stamps: string[] = [];
  let fill = 0;

  const flush = async () => {
    if (fill === 0) return;
    const p = await model.predictModelsAsync(batch.subarray(0, fill * n));
    const labels = new Uint8Array(fill);
    for (let i = 0; i < fill; i++) {
      const e = p.ensemble[i] as number;
      labels[i] = e >= model.threshold ? 1 : 0;
      s.up += labels[i] as number;
      sums.ensemble += e;
      sums.lightgbm += p.lightgbm[i] as number;
      sums.xgboost += p.xgboost[i] as number;
      sums.randomForest += p.randomForest[i] as number;
    }
    if (writer) {
      const w = writer;
      await onOutput(() => w.write(stamps, [p.lightgbm, p.xgboost, p.randomForest, p.ensemble, labels], fill));
    }
    s.scoredRows += fill;
    fill = 0;
    stamps = [];
  };

  // Appends `rows` row-major feature rows (and their timestamps) to the batch.
  const push = async (rowsData: Float64Array, rows: number, ts: readonly string[]) => {
    let done = 0;
    while (done < rows) {
      const take = Math.min(rows - done, BATCH_ROWS - fill);
      batch.set(rowsData.subarray(done * n, (done + take) * n), fill * n);
      for (let i = 0; i < take; i++) stamps.push(ts[done + i] ?? '');
      fill += take;
      done += take;
      if (fill === BATCH_ROWS) await flush();
    }
  };

  try {
    if (out) {
      // Parquet is written by DuckDB inside the scratch directory, so that nothing can appear
      // beside the output once that directory is gone; CSV goes to the reserved temporary file.
      const scratch = outFormat === 'parquet' ? out.scratchDirectory() : undefined;
      finished = scratch ? join(scratch, 'scores.parquet') : out.temp;
      writer = await onOutput(() =>
        scratch
          ? parquetWriter(join(scratch, 'scores.parquet'), join(scratch, 'scores.duckdb'), OUTPUT_COLUMNS, ['double', 'double', 'double', 'double', 'label'])
          : csvWriter(out.temp, OUTPUT_COLUMNS),
      );
      const w = writer;
      out.onDiscard(() => w.abort());
    }
    if (showProgress) {
      const total = await reader.count();
      bar = new SingleBar({
        format: 'scoring |{bar}| {percentage}% | {value}/{total} rows | {speed} rows/s | ETA {eta_formatted}',
        hideCursor: true,
        etaBuffer: 50,
      });
      bar.start(total, 0, { speed: 0 });
    }
    let lastOrder = Number.NaN;
    const rowMajor = new Float64Array(2048 * n);
    for await (const chunk of reader.chunks()) {
      const base = s.inputRows;
      s.inputRows += chunk.rows;
      for (let r = 0; r < chunk.rows; r++) {
        const o = chunk.order[r] as number;
        if (o <= lastOrder) {
          if (!fromFeatures) {
            throw new InvalidInputFileError(
              `${input}: row ${base + r + 1} (timestamp ${chunk.timestamps[r]}) is not after the previous row (${chunk.timestamps[r - 1] ?? 'previous chunk'}): ` +
                'candles must be in increasing time order to compute features',
            );
          }
          s.nonIncreasingTimestamps++;
        }
        if (!Number.isNaN(o)) lastOrder = o;
      }
      if (fromFeatures) {
        const m = chunk.rows;
        const data = m * n <= rowMajor.length ? rowMajor.subarray(0, m * n) : new Float64Array(m * n);
        for (let c = 0; c < n; c++) {
          const col = chunk.columns[c] as Float64Array;
          for (let r = 0; r < m; r++) data[r * n + c] = col[r] as number;
        }
        await push(data, m, chunk.timestamps);
      } else {
        const [open, high, low, close, volume] = chunk.columns as [Float64Array, Float64Array, Float64Array, Float64Array, Float64Array];
        let f: ReturnType<TechnicalFeatures['pushColumns']>;
        try {
          f = (features as TechnicalFeatures).pushColumns({ open, high, low, close, volume });
        } catch (e) {
          const err = e as Error;
          err.message = `${input}, rows ${base + 1}..${base + chunk.rows}: ${err.message}`;
          throw err;
        }
        s.warmupRows += f.warmup;
        const skipped = warmupPolicy === 'skip' ? chunk.rows - f.rows : 0;
        await push(f.features, f.rows, skipped > 0 ? chunk.timestamps.slice(skipped) : chunk.timestamps);
      }
      if (bar) {
        const secs = (performance.now() - started) / 1000;
        bar.update(s.inputRows, { speed: Math.round(s.inputRows / Math.max(secs, 1e-3)) });
      }
    }
    await flush();
    batch = new Float64Array(0);
    s.invalidLines = await reader.rejects();
    s.invalidRows = s.invalidLines.length;
    if (writer && out) {
      const w = writer;
      await onOutput(() => w.finish());
      out.commit(finished);
    }
  } finally {
    bar?.stop();
  }
  s.seconds = (performance.now() - started) / 1000;
  s.rowsPerSecond = s.inputRows / Math.max(s.seconds, 1e-9);
  s.down = s.scoredRows - s.up;
  s.peakRssMiB = Math.round(process.resourceUsage().maxRSS / 1024);
  const k = Math.max(s.scoredRows, 1);
  s.meanProbability = { ensemble: sums.ensemble / k, lightgbm: sums.lightgbm / k, xgboost: sums.xgboost / k, randomForest: sums.randomForest / k };
  return s;
}

/** The human summary printed at the end of `score`. */
export function formatSummary(s: ScoreSummary): string {
  const pct = (v: number) => (s.scoredRows ? ((100 * v) / s.scoredRows).toFixed(1) : '0.0');
  const m = s.meanProbability;
  const lines = [
    `scored ${s.scoredRows} of ${s.inputRows} rows from ${s.input} in ${s.seconds.toFixed(2)} s (${Math.round(s.rowsPerSecond)} rows/s)`,
  ];
  if (s.warmupRows > 0) {
    lines.push(
      s.warmupPolicy === 'skip'
        ? `  skipped ${s.warmupRows} warm-up rows (not enough history for every feature; --warmup nan scores them with NaN features)`
        : `  ${s.warmupRows} warm-up rows scored with NaN for the features that lack history`,
    );
  }
  if (s.invalidRows > 0) {
    const first = s.invalidLines.slice(0, 3).map((l) => `line ${l.line}: ${l.message}`).join('; ');
    lines.push(`  skipped ${s.invalidRows} invalid line${s.invalidRows > 1 ? 's' : ''} (${first}${s.invalidRows > 3 ? '; ...' : ''})`);
  }
  if (s.nonIncreasingTimestamps > 0) lines.push(`  warning: ${s.nonIncreasingTimestamps} rows have a timestamp not after the previous row's`);
  lines.push(`  mean P(up): ensemble ${m.ensemble.toFixed(4)} | lightgbm ${m.lightgbm.toFixed(4)} | xgboost ${m.xgboost.toFixed(4)} | random_forest ${m.randomForest.toFixed(4)}`);
  lines.push(`  labels at threshold ${s.threshold}: up ${s.up} (${pct(s.up)}%), down ${s.down} (${pct(s.down)}%)`);
  if (s.output) lines.push(`  wrote ${s.output}`);
  lines.push(`  peak memory ${s.peakRssMiB} MiB`);
  return `${lines.join('\n')}\n`;
}
