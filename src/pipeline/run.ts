/**
 * One run of the batch scoring pipeline, loaded by pipeline.ts once the table packages are known
 * to be installed: the input resolved, the output reserved, the model loaded, then reader →
 * features → scorer → writer (stages.ts), and everything released on any failure.
 * @internal
 */
import { availableParallelism } from 'node:os';
import { InvalidArgumentError } from '../errors.js';
import { ProductionEnsemble } from '../ensemble.js';
import type { ScoredBatch } from './batch.js';
import { PartitionedOutput } from './dataset.js';
import type { ScoreTableOptions } from './options.js';
import { OutputFile } from './output-file.js';
import { type Output, datasetOutput, fileOutput, manifestOf } from './outputs.js';
import { type TableReader, duckdbGlob, openReader } from './reader.js';
import { ensembleScorer } from './scorer.js';
import { type InputSource, formatOf, hiveValue, resolveInput } from './source.js';
import { baseSummary, stream } from './stages.js';
import type { ScoreSummary } from './summary.js';

const CANDLE_COLUMNS = ['open', 'high', 'low', 'close', 'volume'] as const;

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

