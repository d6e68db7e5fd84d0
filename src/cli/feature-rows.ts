/**
 * The rows the `explain` and `drift` commands work on: a CSV or Parquet file of candles (the 12
 * features computed as `score` computes them, warm-up rows skipped) or of ready feature rows,
 * streamed in row-major batches with their times. Read by the batch pipeline's reader and feature
 * stage (src/pipeline/), one series.
 * @internal
 */
import { existsSync } from 'node:fs';
import { InvalidArgumentError } from '../errors.js';
import { IsoTime } from '../pipeline/csv-writer.js';
import { FeatureStage } from '../pipeline/feature-stage.js';
import { duckdbGlob, openReader } from '../pipeline/reader.js';
import { resolveInput } from '../pipeline/source.js';

const CANDLE_COLUMNS = ['open', 'high', 'low', 'close', 'volume'] as const;

/** A batch of feature rows. */
export interface FeatureBatch {
  /** rows × nFeatures, row-major. */
  data: Float64Array;
  rows: number;
  /** Per row: the time as ISO 8601 text as `score` writes it ('' when none), and as epoch ms (NaN if none). */
  timestamps: string[];
  order: Float64Array;
}

export interface FeatureRowOptions {
  format?: string;
  fromFeatures?: boolean;
  skipInvalid?: boolean;
}

/** Streams `input` as feature rows for a model with these feature names. */
export async function* featureRows(input: string, featureNames: readonly string[], opts: FeatureRowOptions): AsyncGenerator<FeatureBatch> {
  if (!existsSync(input)) throw new InvalidArgumentError(`input file ${input} does not exist`);
  const fromFeatures = opts.fromFeatures ?? false;
  const source = await resolveInput(input, duckdbGlob, opts.format);
  const reader = await openReader(source, {
    numeric: fromFeatures ? featureNames : CANDLE_COLUMNS,
    symbolColumn: false,
    skipInvalid: opts.skipInvalid ?? false,
  });
  try {
    const stage = new FeatureStage({
      fromFeatures,
      warmup: 'skip',
      nFeatures: featureNames.length,
      describe: (block, row) => reader.describe(block, row),
      symbolOf: () => '',
    });
    const iso = new IsoTime(); // as `score` writes times
    for await (const block of reader.blocks()) {
      const f = stage.process(block);
      if (f.rows === 0) continue;
      const order = new Float64Array(f.rows);
      const timestamps: string[] = new Array(f.rows);
      for (let r = 0; r < f.rows; r++) {
        const us = f.timeUs[r] as number;
        order[r] = us / 1000;
        timestamps[r] = Number.isFinite(us) ? iso.format(us) : '';
      }
      yield { data: f.features, rows: f.rows, timestamps, order };
    }
  } finally {
    reader.close();
  }
}
