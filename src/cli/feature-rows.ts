/**
 * The rows the `explain` and `drift` commands work on: a CSV or Parquet file of candles (the 12
 * features computed as `score` computes them, warm-up rows skipped) or of ready feature rows,
 * streamed in row-major batches with their timestamps.
 * @internal
 */
import { existsSync } from 'node:fs';
import { InvalidArgumentError, InvalidInputFileError } from '../errors.js';
import { TechnicalFeatures } from '../features.js';
import { formatOf, openTable } from './table-io.js';

const CANDLE_COLUMNS = ['open', 'high', 'low', 'close', 'volume'] as const;

/** A batch of feature rows. */
export interface FeatureBatch {
  /** rows × nFeatures, row-major. */
  data: Float64Array;
  rows: number;
  /** Per row: the timestamp text ('' when the input has none) and its value (epoch ms, NaN if unknown). */
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
  const reader = await openTable(input, formatOf(input, opts.format), fromFeatures ? featureNames : CANDLE_COLUMNS, opts.skipInvalid ?? false);
  const n = featureNames.length;
  const features = fromFeatures ? undefined : new TechnicalFeatures({ warmup: 'skip' });
  try {
    let seen = 0;
    let last = Number.NaN;
    for await (const chunk of reader.chunks()) {
      for (let r = 0; r < chunk.rows; r++) {
        const o = chunk.order[r] as number;
        if (!fromFeatures && o <= last) {
          throw new InvalidInputFileError(
            `${input}: row ${seen + r + 1} (timestamp ${chunk.timestamps[r]}) is not after the previous row: candles must be in increasing time order to compute features`,
          );
        }
        if (!Number.isNaN(o)) last = o;
      }
      seen += chunk.rows;
      if (fromFeatures) {
        const data = new Float64Array(chunk.rows * n);
        for (let c = 0; c < n; c++) {
          const col = chunk.columns[c] as Float64Array;
          for (let r = 0; r < chunk.rows; r++) data[r * n + c] = col[r] as number;
        }
        yield { data, rows: chunk.rows, timestamps: chunk.timestamps, order: chunk.order };
        continue;
      }
      const [open, high, low, close, volume] = chunk.columns as [Float64Array, Float64Array, Float64Array, Float64Array, Float64Array];
      const f = (features as TechnicalFeatures).pushColumns({ open, high, low, close, volume });
      const skipped = chunk.rows - f.rows;
      if (f.rows > 0) {
        yield { data: f.features, rows: f.rows, timestamps: chunk.timestamps.slice(skipped), order: chunk.order.subarray(skipped) };
      }
    }
  } finally {
    reader.close();
  }
}
