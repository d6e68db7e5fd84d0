/**
 * Streaming distributions for the serving statistics: an HDR-style log-linear histogram for
 * latencies (any quantile within 1/128 relative error, fixed memory, O(1) record), and the fixed
 * bins of a probability.
 * @internal
 */

// 128 sub-buckets per power of two: a recorded value lands in a bucket no wider than 1/128 of it.
const SUB_BITS = 7;
const SUB = 1 << SUB_BITS;
// Values are whole nanoseconds up to 2^44 (~4.9 hours); larger ones are counted in the last bucket.
const MAX_EXP = 44;
const BUCKETS = (MAX_EXP - SUB_BITS + 2) * SUB;

/**
 * Counts of non-negative values (latencies in ns) in log-linear buckets: exact below 128, then
 * 128 buckets per octave. Memory is fixed (~40 KB); recording is a few integer operations.
 */
export class LogHistogram {
  readonly #counts = new Float64Array(BUCKETS);
  #count = 0;
  #sum = 0;
  #min = Number.POSITIVE_INFINITY;
  #max = 0;

  /** Records one value (rounded to a whole number; negative values count as 0). */
  record(value: number): void {
    const v = value > 0 ? Math.round(value) : 0;
    const b = bucketOf(v);
    this.#counts[b] = (this.#counts[b] as number) + 1;
    this.#count++;
    this.#sum += v;
    if (v < this.#min) this.#min = v;
    if (v > this.#max) this.#max = v;
  }

  get count(): number {
    return this.#count;
  }

  /** The sum of the recorded values (after rounding). */
  get sum(): number {
    return this.#sum;
  }

  get mean(): number {
    return this.#count === 0 ? Number.NaN : this.#sum / this.#count;
  }

  get max(): number {
    return this.#count === 0 ? Number.NaN : this.#max;
  }

  get min(): number {
    return this.#count === 0 ? Number.NaN : this.#min;
  }

  /**
   * The value at quantile `q` (0..1): the smallest bucket whose cumulative count reaches
   * ceil(q * count), reported as its midpoint (its upper end for the last, the max), within
   * 1/128 of the true order statistic. NaN when empty.
   */
  quantile(q: number): number {
    if (this.#count === 0) return Number.NaN;
    const rank = Math.max(1, Math.ceil(Math.min(Math.max(q, 0), 1) * this.#count));
    let seen = 0;
    for (let b = 0; b < BUCKETS; b++) {
      seen += this.#counts[b] as number;
      if (seen >= rank) {
        const [lo, hi] = bounds(b);
        return Math.min(Math.max((lo + hi) / 2, this.#min), this.#max);
      }
    }
    return this.#max;
  }

  /** The counts at or below each of `edges` (ascending), for Prometheus-style cumulative buckets. */
  cumulative(edges: readonly number[]): number[] {
    const out: number[] = [];
    let b = 0;
    let seen = 0;
    for (const edge of edges) {
      // Buckets wholly at or below the edge; a bucket straddling it is counted when its midpoint is.
      for (; b < BUCKETS; b++) {
        const [lo, hi] = bounds(b);
        if ((lo + hi) / 2 > edge) break;
        seen += this.#counts[b] as number;
      }
      out.push(seen);
    }
    return out;
  }

  reset(): void {
    this.#counts.fill(0);
    this.#count = 0;
    this.#sum = 0;
    this.#min = Number.POSITIVE_INFINITY;
    this.#max = 0;
  }
}

function bucketOf(v: number): number {
  if (v < SUB) return v;
  // The exponent of v's highest bit; beyond 32 bits clz32 cannot see it.
  const exp = v < 2 ** 32 ? 31 - Math.clz32(v) : Math.floor(Math.log2(v));
  if (exp > MAX_EXP) return BUCKETS - 1;
  const shift = exp - SUB_BITS;
  const sub = Math.floor(v / 2 ** shift) - SUB; // 0..SUB-1: the next 7 bits below the highest
  return (shift + 1) * SUB + sub;
}

/** [lowest, highest] value bucket `b` holds. */
function bounds(b: number): [number, number] {
  if (b < SUB) return [b, b];
  const shift = Math.floor(b / SUB) - 1;
  const sub = b % SUB;
  const lo = (SUB + sub) * 2 ** shift;
  return [lo, lo + 2 ** shift - 1];
}

/**
 * Bins of a probability, upper ends included as Prometheus's `le` counts them: [0, 0.05],
 * (0.05, 0.1], ..., (0.95, 1].
 */
export const SCORE_BINS = 20;

/** The bin of probability `p` (values outside [0, 1] are clamped; NaN goes to bin 0). */
export function scoreBin(p: number): number {
  if (!(p > 0)) return 0;
  if (p >= 1) return SCORE_BINS - 1;
  return Math.ceil(p * SCORE_BINS) - 1;
}
