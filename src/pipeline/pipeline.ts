/**
 * The batch scoring pipeline behind `production-ensemble score` and the Node API: reader →
 * features → scorer → writer, each an async stage joined to the next by a bounded queue, so the
 * next block is read and the previous one written while a block is scored, and memory stays flat.
 */
import { availableParallelism } from 'node:os';
import { InvalidArgumentError } from '../errors.js';
import { ProductionEnsemble } from '../ensemble.js';
import type { WarmupPolicy } from '../features.js';
import { OutputFile } from './output-file.js';
import type { ScoredBatch } from './batch.js';
import { Channel } from './channel.js';
import { PartitionedOutput } from './dataset.js';
import { type Output, datasetOutput, fileOutput, manifestOf } from './outputs.js';
import { type TableReader, type TimeUnit, duckdbGlob, openReader } from './reader.js';
import { ensembleScorer, type Scorer } from './scorer.js';
import { type InputSource, type TableFormat, formatOf, hiveValue, resolveInput } from './source.js';
import { baseSummary, stream } from './stages.js';
import type { ScoreSummary } from './summary.js';

const CANDLE_COLUMNS = ['open', 'high', 'low', 'close', 'volume'] as const;

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

/**
 * Runs the pipeline; each scored batch goes to the output (if any) and then to `sink`.
 * @internal
 */
export async function runPipeline(input: string, opts: ScoreTableOptions, sink?: (b: ScoredBatch) => Promise<void>): Promise<ScoreSummary> {
  const started = performance.now();
  const cpu0 = process.cpuUsage();
  const bad = (why: string) => new InvalidArgumentError(why);
  if (opts.partitionBy !== undefined && opts.partitionBy !== 'symbol') throw bad(`partitionBy must be 'symbol', got ${JSON.stringify(opts.partitionBy)}`);
  if (opts.partitionBy && !opts.output) throw bad('partitionBy needs an output directory');
  if (opts.partitionBy && opts.outputFormat === 'csv') throw bad('a partitioned output is Parquet: output format csv does not apply');
  if (opts.partitionBy && opts.symbolColumn === false) throw bad('partitionBy symbol needs a symbol column');
  if (opts.resume && !opts.partitionBy) throw bad('resume applies to a partitioned output (partitionBy symbol)');
  let source = await resolveInput(input, duckdbGlob, opts.format);
  const signals = opts.handleSignals ?? false;

  let file: OutputFile | undefined;
  let model: ProductionEnsemble | undefined;
  let ownModel = false;
  let reader: TableReader | undefined;
  let output: Output | undefined;
  try {
    // A single output file is checked (and its temporary file created) before any work.
    const fileFormat = opts.output && !opts.partitionBy ? formatOf(opts.output, opts.outputFormat) : undefined;
    if (opts.output && fileFormat) file = OutputFile.create(opts.output, source.files, signals);
    let scorer = opts.scorer;
    if (!scorer) {
      if (opts.models instanceof ProductionEnsemble) model = opts.models;
      else {
        model = await ProductionEnsemble.load(opts.models, { threads: opts.threads && opts.threads > 0 ? opts.threads : availableParallelism() });
        ownModel = true;
      }
      scorer = ensembleScorer(model);
    }
    const s = scorer;
    const warmup = opts.warmup ?? 'skip';
    const fromFeatures = opts.fromFeatures ?? false;
    const openIt = (src: InputSource, exclude?: ReadonlySet<string>) =>
      openReader(src, {
        numeric: fromFeatures ? s.featureNames : CANDLE_COLUMNS,
        symbolColumn: opts.symbolColumn,
        skipInvalid: opts.skipInvalid ?? false,
        timeUnit: opts.timeUnit,
        // --threads bounds DuckDB's readers too (two by default: see reader.ts).
        threads: opts.readThreads ?? (opts.threads && opts.threads > 0 ? Math.min(opts.threads, 2) : undefined),
        exclude,
      });
    reader = await openIt(source);
    // What the scores depend on, with the symbol column the input resolved to: in the Parquet
    // footer, and in a partitioned output's manifest, which a resumed run must match.
    const manifest = manifestOf(scorer, { ...opts, symbolColumn: reader.symbolColumn ?? false }, model);
    const keyValues = { production_ensemble: JSON.stringify(manifest) };
    if (file && fileFormat) output = await fileOutput(file, fileFormat, reader.symbolColumn !== undefined, keyValues);
    if (opts.partitionBy && opts.output) {
      const key = reader.symbolColumn;
      if (key === undefined) throw bad(`${input}: no symbol column to partition by (name it with symbolColumn / --symbol-column)`);
      const dir = PartitionedOutput.create(opts.output, 'symbol', manifest, { resume: opts.resume ?? false, inputs: source.files, signals });
      output = datasetOutput(dir, keyValues);
      if (dir.complete.size > 0) {
        // Complete partitions of an earlier run: their files (hive input) or rows are left out.
        reader.close();
        reader = undefined;
        source = withoutPartitions(source, key, dir.complete);
        if (source.files.length > 0) reader = await openIt(source, dir.complete);
      }
    }
    const summary = reader ? await stream(reader, scorer, output, sink, { started, warmup, fromFeatures, onProgress: opts.onProgress, countRows: opts.countRows }) : baseSummary(source, scorer, warmup);
    if (!reader) await output?.writer.finish();
    summary.input = input;
    if (opts.output) summary.output = opts.output;
    if (output?.partitions) summary.partitions = { written: output.partitions.written(), skipped: output.partitions.skipped };
    output?.commit();
    output = undefined;
    file = undefined;
    summary.seconds = (performance.now() - started) / 1000;
    summary.rowsPerSecond = summary.inputRows / Math.max(summary.seconds, 1e-9);
    const cpu = process.cpuUsage(cpu0);
    summary.cpuSeconds = (cpu.user + cpu.system) / 1e6;
    summary.cpuPerWall = summary.cpuSeconds / Math.max(summary.seconds, 1e-9);
    summary.peakRssMiB = Math.round(process.resourceUsage().maxRSS / 1024);
    return summary;
  } catch (e) {
    output?.discard();
    file?.discard();
    throw e;
  } finally {
    reader?.close();
    if (ownModel) model?.close();
  }
}

/** A hive input without the files of `done` symbols (their partitions are complete). */
function withoutPartitions(source: InputSource, key: string, done: ReadonlySet<string>): InputSource {
  if (!source.hiveKeys.includes(key)) return source;
  return { ...source, files: source.files.filter((f) => !done.has(hiveValue(f, key) ?? '')) };
}

/**
 * Scores a table of candles (or, with `fromFeatures`, of ready feature rows): a CSV or Parquet
 * file, a directory of them (hive-partitioned datasets included) or a glob. Features are computed
 * per symbol; reading, features, scoring and writing overlap. Resolves to the run's summary.
 * @param input a file, a directory or a glob (`data/*.parquet`, `data/**\/*.csv`)
 * @param options see {@link ScoreTableOptions}
 * @example
 * import { scoreTable } from 'production-ensemble';
 * const summary = await scoreTable('candles.csv', { output: 'scores.parquet' });
 * console.log(summary.scoredRows, summary.up, summary.rowsPerSecond);
 * // one partition per symbol, resumable:
 * await scoreTable('history/', { output: 'scores/', partitionBy: 'symbol', resume: true });
 */
export async function scoreTable(input: string, options: ScoreTableOptions = {}): Promise<ScoreSummary> {
  return runPipeline(input, options);
}

/** The batches of {@link scoreBatches}; `summary` is set once they are all read. */
export interface ScoreBatches extends AsyncIterable<ScoredBatch> {
  readonly summary: ScoreSummary | undefined;
}

class Cancelled extends Error {}

/**
 * The same pipeline as {@link scoreTable}, handing each scored batch (typed arrays, up to 65,536
 * rows) to your loop as it is ready. The pipeline waits for your loop (at most two batches are
 * held), so memory stays flat; leaving the loop early stops it and releases everything.
 * @example
 * import { scoreBatches } from 'production-ensemble';
 * const batches = scoreBatches('candles/', { symbolColumn: 'symbol' });
 * for await (const b of batches) {
 *   for (let i = 0; i < b.rows; i++) {
 *     if (b.label[i]) console.log(b.symbols[b.symbolIndex[i]], new Date(b.timeUs[i] / 1000), b.ensemble[i]);
 *   }
 * }
 * console.log(batches.summary?.scoredRows);
 */
export function scoreBatches(input: string, options: ScoreTableOptions = {}): ScoreBatches {
  let summary: ScoreSummary | undefined;
  async function* run(): AsyncGenerator<ScoredBatch> {
    const out = new Channel<ScoredBatch>(1);
    const done = runPipeline(input, options, (b) => out.put(b)).then(
      (s) => {
        summary = s;
        out.close();
      },
      (e: unknown) => out.fail(e),
    );
    let finished = false;
    try {
      for (;;) {
        const b = await out.get();
        if (b === undefined) break;
        yield b;
      }
      finished = true;
    } finally {
      if (!finished) out.fail(new Cancelled('the consumer stopped reading'));
      await done;
    }
  }
  return {
    get summary() {
      return summary;
    },
    [Symbol.asyncIterator]: () => run(),
  };
}
