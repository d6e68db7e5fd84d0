/**
 * `production-ensemble score`: the command-line face of the pipeline (src/pipeline/): options in,
 * a progress bar on a terminal, the summary out. Everything else is {@link scoreTable}'s.
 * @internal
 */
import { SingleBar } from 'cli-progress';
import type { WarmupPolicy } from '../features.js';
import { scoreTable } from '../pipeline/pipeline.js';
import type { TimeUnit } from '../pipeline/options.js';
import type { TableFormat } from '../pipeline/source.js';
import type { ScoreSummary } from '../pipeline/summary.js';

export { formatSummary } from '../pipeline/summary.js';
export type { ScoreSummary };

export interface ScoreOptions {
  output?: string;
  format?: TableFormat;
  outputFormat?: TableFormat;
  models: string;
  threads: number;
  fromFeatures?: boolean;
  warmup?: WarmupPolicy;
  skipInvalid?: boolean;
  /** A column name, or false (--no-symbol-column) for one series. */
  symbolColumn?: string | false;
  partitionBy?: 'symbol';
  resume?: boolean;
  timeUnit?: TimeUnit;
  /** Show a progress bar (default: when stderr is a TTY). */
  progress?: boolean;
}

export async function scoreFile(input: string, opts: ScoreOptions): Promise<ScoreSummary> {
  const showProgress = opts.progress ?? process.stderr.isTTY === true;
  let bar: SingleBar | undefined;
  const started = performance.now();
  try {
    return await scoreTable(input, {
      output: opts.output,
      format: opts.format,
      outputFormat: opts.outputFormat,
      models: opts.models,
      threads: opts.threads,
      fromFeatures: opts.fromFeatures,
      warmup: opts.warmup,
      skipInvalid: opts.skipInvalid,
      symbolColumn: opts.symbolColumn,
      partitionBy: opts.partitionBy,
      resume: opts.resume,
      timeUnit: opts.timeUnit,
      handleSignals: true,
      countRows: showProgress,
      onProgress: showProgress
        ? (rows, total) => {
            if (!bar) {
              bar = new SingleBar({
                format: 'scoring |{bar}| {percentage}% | {value}/{total} rows | {speed} rows/s | ETA {eta_formatted}',
                hideCursor: true,
                etaBuffer: 50,
              });
              bar.start(total ?? 0, 0, { speed: 0 });
            }
            const secs = (performance.now() - started) / 1000;
            bar.update(rows, { speed: Math.round(rows / Math.max(secs, 1e-3)) });
          }
        : undefined,
    });
  } finally {
    bar?.stop();
  }
}
