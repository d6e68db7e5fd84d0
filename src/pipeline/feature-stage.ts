/**
 * The feature stage: input blocks to rows of the model's features, with one feature state per
 * symbol (native KeyedFeatureStream), so that every symbol's rows are exactly those it would get
 * from a file of its own, however the symbols are interleaved. Candles must be in increasing time
 * order within their symbol; ready feature rows (--from-features) are passed through.
 * @internal
 */
import { type Binding, binding } from '../binding.js';
import { InvalidInputFileError } from '../errors.js';
import type { WarmupPolicy } from '../features.js';
import type { InputBlock } from './reader.js';

/** Rows ready for the scorer: `features` is rows × nFeatures, row-major. */
export interface FeatureBlock {
  rows: number;
  features: Float64Array;
  timeUs: Float64Array;
  key: Uint32Array;
  /** Input rows this block came from (warm-up candles included). */
  inputRows: number;
  warmupRows: number;
}

export interface FeatureStageOptions {
  fromFeatures: boolean;
  warmup: WarmupPolicy;
  nFeatures: number;
  /** Names a row of a block for messages ("file: line N"). */
  describe: (block: InputBlock, row: number) => string;
  /** The symbol of a code, for messages ('' without a symbol column). */
  symbolOf: (key: number) => string;
}

/** Times are epoch µs in doubles: exact below 2^53 µs, about 285 years either side of 1970. */
const MAX_TIME_US = 2 ** 53;

const iso = (us: number) => (Number.isFinite(us) ? new Date(Math.floor(us / 1000)).toISOString() : 'none');

export class FeatureStage {
  readonly #opts: FeatureStageOptions;
  readonly #stream: Binding.KeyedFeatureStream | undefined;
  // The last time seen per symbol (NaN: none yet), grown as symbols appear.
  #last = new Float64Array(64).fill(Number.NaN);
  /** Rows whose time is not after their symbol's previous row (counted for feature rows only). */
  nonIncreasing = 0;
  /** Busy time, ms. */
  busyMs = 0;

  constructor(opts: FeatureStageOptions) {
    this.#opts = opts;
    this.#stream = opts.fromFeatures ? undefined : new (binding().addon.KeyedFeatureStream)();
  }

  /** The block's scored rows (a new block: the input block is the reader's and is reused). */
  process(block: InputBlock): FeatureBlock {
    const t0 = performance.now();
    try {
      this.#checkOrder(block);
      return this.#opts.fromFeatures ? this.#passThrough(block) : this.#compute(block);
    } finally {
      this.busyMs += performance.now() - t0;
    }
  }

  #checkOrder(block: InputBlock): void {
    const n = block.rows;
    const key = block.key;
    const t = block.timeUs;
    let last = this.#last;
    for (let r = 0; r < n; r++) {
      const k = key[r] as number;
      if (k >= last.length) {
        const grown = new Float64Array(Math.max(last.length * 2, k + 1)).fill(Number.NaN);
        grown.set(last);
        this.#last = last = grown;
      }
      const v = t[r] as number;
      if (v !== v) continue;
      if (!(Math.abs(v) < MAX_TIME_US)) {
        throw new InvalidInputFileError(
          `${this.#opts.describe(block, r)}: the timestamp is ${v === Number.POSITIVE_INFINITY ? 'not a time (ISO 8601 text such as 2024-01-01T00:00:00Z, or a number since 1970)' : 'out of range (years 1685 to 2255)'}`,
        );
      }
      const prev = last[k] as number;
      if (v <= prev) {
        if (!this.#opts.fromFeatures) {
          const sym = this.#opts.symbolOf(k);
          throw new InvalidInputFileError(
            `${this.#opts.describe(block, r)}: ${sym ? `symbol ${sym}: ` : ''}timestamp ${iso(v)} is not after the previous ` +
              `${sym ? `candle of ${sym}` : 'row'} (${iso(prev)}): candles must be in increasing time order${sym ? ' within each symbol' : ''} to compute features`,
          );
        }
        this.nonIncreasing++;
      }
      last[k] = v;
    }
  }

  #passThrough(block: InputBlock): FeatureBlock {
    const n = block.rows;
    const w = this.#opts.nFeatures;
    const features = new Float64Array(n * w);
    for (let c = 0; c < w; c++) {
      const col = block.columns[c] as Float64Array;
      for (let r = 0, at = c; r < n; r++, at += w) features[at] = col[r] as number;
    }
    return { rows: n, features, timeUs: block.timeUs.slice(0, n), key: block.key.slice(0, n), inputRows: n, warmupRows: 0 };
  }

  #compute(block: InputBlock): FeatureBlock {
    const n = block.rows;
    const [open, high, low, close, volume] = block.columns.map((c) => c.subarray(0, n)) as [Float64Array, Float64Array, Float64Array, Float64Array, Float64Array];
    const features = new Float64Array(n * 12);
    const scored = new Uint8Array(n);
    const keys = block.key.subarray(0, n);
    let r: { rows: number; warmup: number };
    try {
      r = (this.#stream as Binding.KeyedFeatureStream).pushColumns(keys, open, high, low, close, volume, this.#opts.warmup === 'nan', features, scored);
    } catch (e) {
      const err = e as Error & { item?: number };
      if (typeof err.item !== 'number') throw err;
      const sym = this.#opts.symbolOf(keys[err.item] as number);
      // A candle the core refuses is a fault of the input file: the core's message names the
      // item and series, the file, line and symbol say more.
      throw new InvalidInputFileError(`${this.#opts.describe(block, err.item)}: ${sym ? `symbol ${sym}: ` : ''}${err.message.replace(/^item \d+, series \d+: /, '')}`);
    }
    let timeUs: Float64Array;
    let key: Uint32Array;
    if (r.rows === n) {
      timeUs = block.timeUs.slice(0, n);
      key = keys.slice();
    } else {
      timeUs = new Float64Array(r.rows);
      key = new Uint32Array(r.rows);
      for (let i = 0, o = 0; i < n; i++) {
        if (scored[i] === 0) continue;
        timeUs[o] = block.timeUs[i] as number;
        key[o++] = keys[i] as number;
      }
    }
    return { rows: r.rows, features: r.rows === n ? features : features.subarray(0, r.rows * 12), timeUs, key, inputRows: n, warmupRows: r.warmup };
  }
}
