/**
 * Where a run writes: one CSV or Parquet file (reserved before any work, renamed into place when
 * complete) or a partitioned dataset; every write failure becomes the output's coded error.
 * @internal
 */
import type { ProductionEnsemble } from '../ensemble.js';
import type { OutputFile } from './output-file.js';
import type { BatchWriter } from './batch.js';
import { csvWriter } from './csv-writer.js';
import { type PartitionedBatch, type PartitionedOutput, datasetWriter } from './dataset.js';
import { parquetWriter } from './parquet-writer.js';
import type { Scorer } from './scorer.js';
import type { TableFormat } from './source.js';
import type { TimeUnit } from './options.js';
import type { WarmupPolicy } from '../features.js';

/** The options that decide what a partition holds (recorded, and compared on resume). */
export interface RunFacts {
  fromFeatures?: boolean;
  warmup?: WarmupPolicy;
  symbolColumn?: string | false;
  timeUnit?: TimeUnit;
}

/** A run's output: its writer, and what makes it final (or removes it) at the end. */
export interface Output {
  writer: BatchWriter;
  commit(): void;
  discard(): void;
  partitions?: { written: () => number; skipped: number };
}

/** What the scores depend on: the model files, weights, threshold and the options that shape rows. */
export function manifestOf(scorer: Scorer, opts: RunFacts, model: ProductionEnsemble | undefined): Record<string, unknown> {
  const info = model?.getModelInfo();
  return {
    writer: 'production-ensemble score',
    layout: 1,
    models: info
      ? { lightgbm: info.models.lightgbm.sha256 ?? null, xgboost: info.models.xgboost.sha256 ?? null, randomForest: info.models.randomForest.sha256 ?? null, weights: info.weights }
      : null,
    threshold: scorer.threshold,
    fromFeatures: opts.fromFeatures ?? false,
    warmup: opts.warmup ?? 'skip',
    symbolColumn: opts.symbolColumn ?? null,
    timeUnit: opts.timeUnit ?? 'auto',
  };
}

/** The single-file output: a CSV or Parquet writer on the reserved temporary file. */
export async function fileOutput(out: OutputFile, format: TableFormat, withSymbol: boolean, keyValues: Record<string, string>): Promise<Output> {
  let writer: BatchWriter;
  try {
    writer = format === 'parquet' ? await parquetWriter(out.temp, withSymbol, keyValues) : await csvWriter(out.temp, withSymbol);
  } catch (e) {
    throw out.error(e);
  }
  out.onDiscard(() => writer.abort());
  // Every write failure (a full disk, a vanished directory) becomes the output's coded error.
  const guard = async (op: () => Promise<void>) => {
    try {
      await op();
    } catch (e) {
      throw out.error(e);
    }
  };
  return {
    writer: {
      get busyMs() {
        return writer.busyMs;
      },
      write: (b) => guard(() => writer.write(b)),
      finish: () => guard(() => writer.finish()),
      abort: () => writer.abort(),
    },
    commit: () => out.commit(),
    discard: () => out.discard(),
  };
}

/** The partitioned output; counts the partitions this run commits. */
export function datasetOutput(dir: PartitionedOutput, keyValues: Record<string, string>): Output {
  let written = 0;
  const inner = datasetWriter(dir, keyValues);
  return {
    writer: {
      get busyMs() {
        return inner.busyMs;
      },
      write: async (b: PartitionedBatch) => {
        await inner.write(b);
        written += b.completes?.length ?? 0;
      },
      finish: () => inner.finish(),
      abort: () => inner.abort(),
    },
    commit: () => dir.discard(),
    discard: () => dir.discard(),
    partitions: { written: () => written, skipped: dir.complete.size },
  };
}
