/**
 * The scored batch every writer (and the Node API's iterator) receives, and the writer contract.
 */

/**
 * One batch of scored rows, as typed arrays of `rows` values each.
 * @example
 * for await (const b of scoreBatches('candles.csv')) {
 *   for (let i = 0; i < b.rows; i++) if (b.label[i]) console.log(b.symbols[b.symbolIndex[i]], new Date(b.timeUs[i] / 1000), b.ensemble[i]);
 * }
 */
export interface ScoredBatch {
  rows: number;
  /** The candle's time, epoch microseconds (UTC); NaN when the input row had none. */
  timeUs: Float64Array;
  /** Index into {@link ScoredBatch.symbols} (0 for an input without a symbol column). */
  symbolIndex: Uint32Array;
  /** The symbols seen so far (`['']` without a symbol column); grows as new symbols appear. */
  symbols: readonly string[];
  lightgbm: Float64Array;
  xgboost: Float64Array;
  randomForest: Float64Array;
  /** The weighted combination (P(up)). */
  ensemble: Float64Array;
  /** 1 where `ensemble >= threshold`, else 0. */
  label: Uint8Array;
}

/** Where scored batches go: a CSV or Parquet file, or a partitioned dataset. */
export interface BatchWriter {
  /** May keep references to the batch's arrays until the returned promise settles. */
  write(batch: ScoredBatch): Promise<void>;
  /** Everything written is complete at its final place when this resolves. */
  finish(): Promise<void>;
  /** Drops what is not committed; never throws. */
  abort(): void;
  /** Busy time, ms. */
  readonly busyMs: number;
}
