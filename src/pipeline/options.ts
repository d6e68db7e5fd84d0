/**
 * The options of {@link scoreTable} and {@link scoreBatches}: what the command's flags are in the
 * Node API. Types only, so that the library's declarations name no optional package.
 */
import type { ProductionEnsemble } from '../ensemble.js';
import type { WarmupPolicy } from '../features.js';
import type { Scorer } from './scorer.js';
import type { TableFormat } from './source.js';

/** Units a numeric timestamp column may be in; `auto` decides by magnitude (docs/cli.md). */
export type TimeUnit = 'auto' | 's' | 'ms' | 'us' | 'ns';

/**
 * Options of {@link scoreTable} and {@link scoreBatches}.
 * @example
 * await scoreTable('candles/', { output: 'scores/', partitionBy: 'symbol', resume: true });
 */
export interface ScoreTableOptions {
  /** Where to write: a `.csv` / `.parquet` file, or with `partitionBy` a directory. None: only the summary. */
  output?: string;
  /** Input format (default: from the files' extension). */
  format?: TableFormat;
  /** Output format (default: from the output's extension; `partitionBy` writes Parquet). */
  outputFormat?: TableFormat;
  /** A model directory (default: the bundled one), or a loaded ensemble (left open). */
  models?: string | ProductionEnsemble;
  /** Scoring threads (reading uses at most 2 of them); 0 or absent: every core. */
  threads?: number;
  /** The input holds ready feature rows (the model's named columns) instead of candles. */
  fromFeatures?: boolean;
  /** Warm-up candles: `'skip'` (default) or `'nan'` (scored with NaN features). */
  warmup?: WarmupPolicy;
  /** Skip malformed CSV lines (listed in the summary) instead of stopping. */
  skipInvalid?: boolean;
  /** The symbol column: features are computed per symbol. Default `symbol` when the input has one; `false`: one series. */
  symbolColumn?: string | false;
  /** Unit of a numeric timestamp column (default `'auto'`: by magnitude, see docs/cli.md). */
  timeUnit?: TimeUnit;
  /** Write a hive-partitioned Parquet directory, one partition per symbol. */
  partitionBy?: 'symbol';
  /** With `partitionBy`: keep the complete partitions of an earlier run into `output` and score only the rest. */
  resume?: boolean;
  /** Called after each block with the input rows read so far (and the total, with `countRows`). */
  onProgress?: (rows: number, total: number | undefined) => void;
  /** Count the input's rows first (an extra pass over CSV), for `onProgress`'s total. */
  countRows?: boolean;
  /** @internal DuckDB threads for reading (default 2). */
  readThreads?: number;
  /** @internal Replaces the ensemble as the scorer (the benchmark measures stages this way). */
  scorer?: Scorer;
  /** @internal Clean up and exit on SIGINT / SIGTERM / SIGHUP, as the command does. */
  handleSignals?: boolean;
}

