/**
 * The ensemble's 12 input features computed from OHLCV candles, by the native core
 * (native/core/technical_features.cc): exactly the operations of tools/features.py, documented
 * in docs/features.md. Incremental for bots ({@link TechnicalFeatures}), or whole series at once
 * ({@link computeFeatures}).
 */
import { type Binding, binding } from './binding.js';

/**
 * The 12 feature names, in the order of every row (and of the models' metadata).
 * @example
 * FEATURE_NAMES.indexOf('rsi_14') // 3
 */
export const FEATURE_NAMES = Object.freeze([
  'close',
  'volume',
  'returns_1',
  'rsi_14',
  'macd',
  'macd_signal',
  'atr_14',
  'bb_position',
  'ema_20',
  'ema_50',
  'zscore',
  'volume_ratio',
] as const);

/**
 * One of the 12 feature names: the keys of a production {@link FeatureRecord}.
 * @example
 * const column: FeatureName = 'rsi_14';
 */
export type FeatureName = (typeof FEATURE_NAMES)[number];

/**
 * Warm-up candles: the first row comes from the 50th candle (index 49), the first one where
 * EMA50 has seen 50 closes and every 20-bar window is full.
 * @example
 * const scoredRows = candles.length - WARMUP_BARS;
 */
export const WARMUP_BARS = 49;

/**
 * One OHLCV candle. Prices must be finite and > 0, the volume finite and >= 0; `open` is used by
 * no feature but checked like the other prices. The OHLC relations are not checked (neither does
 * the reference implementation).
 * @example
 * const candle: Candle = { open: 61538.64, high: 61585.93, low: 61246.9, close: 61419.06, volume: 106.1515 };
 */
export interface Candle {
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

/**
 * Candles as five equally long columns, oldest first. `Float64Array`s are read in place (fastest);
 * other arrays of numbers are copied into one first.
 * @example
 * const cols: CandleColumns = { open, high, low, close, volume }; // five Float64Array
 */
export interface CandleColumns {
  open: Float64Array | ArrayLike<number>;
  high: Float64Array | ArrayLike<number>;
  low: Float64Array | ArrayLike<number>;
  close: Float64Array | ArrayLike<number>;
  volume: Float64Array | ArrayLike<number>;
}

/**
 * What a warm-up candle yields: `'skip'` (default) no row, `'nan'` a row of 12 NaN, so that row i
 * belongs to candle i.
 * @example
 * computeFeatures(cols, { warmup: 'nan' }).rows === cols.close.length // true
 */
export type WarmupPolicy = 'skip' | 'nan';

/**
 * Options of {@link TechnicalFeatures} and {@link computeFeatures}.
 * @example
 * new TechnicalFeatures({ warmup: 'nan' })
 */
export interface FeatureOptions {
  /** Default `'skip'`. */
  warmup?: WarmupPolicy;
}

/**
 * Rows of features: `features` holds `rows × 12` values, row-major, ready for
 * `ProductionEnsemble.predictProba`; `warmup` counts the candles of this call that were warm-up
 * candles (no row under `'skip'`, a NaN row under `'nan'`).
 * @example
 * const { features, rows } = computeFeatures(cols);
 * const p = model.predictProba(features); // rows probabilities
 */
export interface FeatureBatch {
  features: Float64Array;
  rows: number;
  warmup: number;
}

const COLUMNS = ['open', 'high', 'low', 'close', 'volume'] as const;

function nanWarmup(options: FeatureOptions | undefined): boolean {
  if (options === undefined) return false;
  if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
  const w = options.warmup;
  if (w === undefined || w === 'skip') return false;
  if (w === 'nan') return true;
  throw new RangeError(`warmup must be 'skip' or 'nan', got ${JSON.stringify(w)}`);
}

function toColumns(cols: CandleColumns): Float64Array[] {
  if (cols === null || typeof cols !== 'object') {
    throw new TypeError('candles must be an object of columns { open, high, low, close, volume }');
  }
  const out = COLUMNS.map((name) => {
    const c: unknown = cols[name];
    if (c instanceof Float64Array) return c;
    if (c === null || typeof c !== 'object' || typeof (c as ArrayLike<number>).length !== 'number') {
      throw new TypeError(`column ${name} must be a Float64Array or an array of numbers`);
    }
    return Float64Array.from(c as ArrayLike<number>);
  });
  const n = out[0]!.length;
  out.forEach((c, k) => {
    if (c.length !== n) {
      throw new RangeError(`the candle columns differ in length: open has ${n} values, ${COLUMNS[k]} has ${c.length}`);
    }
  });
  return out;
}

/**
 * The 12 features, one candle at a time (O(1) each), for bots that receive candles as they
 * close. The state survives between calls, so a long file can also be fed in chunks with
 * {@link TechnicalFeatures.pushColumns}; every way of feeding the same candles gives the same
 * bits. A refused candle (NaN, ±Inf, a price <= 0, a negative volume) throws an error naming
 * its index since construction / {@link TechnicalFeatures.reset}, and leaves the state as it
 * was: the caller may skip it and go on.
 *
 * @example
 * const tf = new TechnicalFeatures();
 * for await (const candle of feed) {
 *   const row = tf.push(candle);              // null for the first 49 candles
 *   if (row) console.log(model.predictOne(row)); // P(up)
 * }
 */
export class TechnicalFeatures {
  readonly #stream: Binding.FeatureStream;
  readonly #nan: boolean;

  /** @param options `{ warmup: 'skip' | 'nan' }`, default `'skip'`. */
  constructor(options?: FeatureOptions) {
    this.#nan = nanWarmup(options);
    this.#stream = new (binding().addon.FeatureStream)();
  }

  /**
   * Adds one candle; returns its 12 features, or during the warm-up `null` (`'skip'`) / 12 NaN
   * (`'nan'`). The row is a new array, or `out` when given (a `Float64Array` of at least 12
   * values, reused: no allocation per candle).
   * @example
   * const row = tf.push({ open: 100, high: 101, low: 99.5, close: 100.5, volume: 12 });
   * const scratch = new Float64Array(12);
   * tf.push(nextCandle, scratch); // writes into scratch
   */
  push(candle: Candle, out?: Float64Array): Float64Array | null {
    if (candle === null || typeof candle !== 'object') throw new TypeError('candle must be an object { open, high, low, close, volume }');
    const { open, high, low, close, volume } = candle;
    if (typeof open !== 'number') throw new TypeError(`candle.open must be a number, got ${typeof open}`);
    if (typeof high !== 'number') throw new TypeError(`candle.high must be a number, got ${typeof high}`);
    if (typeof low !== 'number') throw new TypeError(`candle.low must be a number, got ${typeof low}`);
    if (typeof close !== 'number') throw new TypeError(`candle.close must be a number, got ${typeof close}`);
    if (typeof volume !== 'number') throw new TypeError(`candle.volume must be a number, got ${typeof volume}`);
    const row = out ?? new Float64Array(12);
    const scored = this.#stream.push(open, high, low, close, volume, row);
    return scored || this.#nan ? row : null;
  }

  /**
   * Adds candles given as columns, oldest first; returns their rows. All or nothing: if one
   * candle is refused, the error names it and the state is as before the call.
   * @example
   * const { features, rows } = tf.pushColumns({ open, high, low, close, volume });
   */
  pushColumns(cols: CandleColumns): FeatureBatch {
    const [open, high, low, close, volume] = toColumns(cols) as [Float64Array, Float64Array, Float64Array, Float64Array, Float64Array];
    const features = new Float64Array(this.#stream.rowsFor(close.length, this.#nan) * 12);
    const { rows, warmup } = this.#stream.pushColumns(open, high, low, close, volume, this.#nan, features);
    return { features, rows, warmup };
  }

  /**
   * The number of warm-up candles, {@link WARMUP_BARS} (49): candles before the 50th give no row.
   * @example
   * const stillNeeded = Math.max(0, tf.warmupBars - tf.bars);
   */
  get warmupBars(): number {
    return WARMUP_BARS;
  }

  /**
   * Candles accepted since construction / {@link TechnicalFeatures.reset}.
   * @example
   * tf.bars >= tf.warmupBars // the next candle gives a row
   */
  get bars(): number {
    return this.#stream.bars();
  }

  /**
   * Forgets every candle: the next one is candle 0 again, with a new warm-up.
   * @example
   * tf.reset(); // e.g. after a gap in the feed
   */
  reset(): void {
    this.#stream.reset();
  }
}

/**
 * The 12 features of a whole series of candles (a fresh {@link TechnicalFeatures}).
 * @param cols five equally long columns, oldest candle first
 * @param options `{ warmup: 'skip' | 'nan' }`, default `'skip'` (`rows = n - 49`)
 * @example
 * const { features, rows } = computeFeatures({ open, high, low, close, volume });
 * const probabilities = model.predictProba(features); // one per candle from the 50th
 */
export function computeFeatures(cols: CandleColumns, options?: FeatureOptions): FeatureBatch {
  return new TechnicalFeatures(options).pushColumns(cols);
}
