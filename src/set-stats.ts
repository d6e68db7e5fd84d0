/**
 * The running statistics of an ensemble set, per version: calls and rows, latency quantiles,
 * the distribution of P(up), agreement with the champion, and, once outcomes come back, accuracy
 * and log loss; the pending outcomes are bounded.
 */
import { EnsembleError } from './errors.js';
import { LogHistogram, SCORE_BINS, scoreBin } from './histogram.js';

/**
 * Latency quantiles of one kind of call, in microseconds (null before the first call).
 * @example
 * const { p50Us, p99Us } = set.stats().members[0].latency;
 */
export interface LatencySummary {
  count: number;
  meanUs: number | null;
  p50Us: number | null;
  p90Us: number | null;
  p99Us: number | null;
  p999Us: number | null;
  maxUs: number | null;
}

/**
 * One version's statistics in an {@link EnsembleSet}.
 * @example
 * for (const m of set.stats().members) console.log(m.name, m.agreement?.rate, m.outcomes.accuracy);
 */
export interface VersionStats {
  /** The member's name in the set (its version unless named otherwise). */
  name: string;
  role: 'champion' | 'challenger';
  /** The model version serving in that member now. */
  version: string | undefined;
  /** Its decision threshold (labels, agreement and accuracy use it). */
  threshold: number;
  /** Rows whose answer this version gave (the champion's, and a challenger's canary rows), and the calls. */
  servedRows: number;
  servedCalls: number;
  /** Rows scored in shadow (for comparison only), and the shadow batches. */
  shadowRows: number;
  shadowCalls: number;
  /** Latency of the calls that answered (single rows and batches alike), and of the shadow batches. */
  latency: LatencySummary;
  shadowLatency: LatencySummary;
  /** Every P(up) this version gave, served or in shadow: count, mean, and 20 bins [0, 0.05], (0.05, 0.1], ..., (0.95, 1]. */
  scores: { count: number; mean: number | null; bins: number[] };
  /**
   * Challengers: on rows both scored, how often its label equals the champion's (each at its own
   * threshold) and the mean |P(up) - champion's P(up)|.
   */
  agreement?: { rows: number; sameLabel: number; rate: number | null; meanAbsDiff: number | null };
  /** On rows whose outcome was recorded: accuracy at its threshold and log loss (natural log, P clipped to [1e-15, 1 - 1e-15]). */
  outcomes: { count: number; accuracy: number | null; logLoss: number | null };
  /** Failed calls (served or shadow) by error code (`Error` when not the package's). */
  errors: Record<string, number>;
}

const EPS = 1e-15;

function summary(h: LogHistogram): LatencySummary {
  const us = (ns: number) => (Number.isNaN(ns) ? null : Math.round(ns) / 1e3);
  return { count: h.count, meanUs: us(h.mean), p50Us: us(h.quantile(0.5)), p90Us: us(h.quantile(0.9)), p99Us: us(h.quantile(0.99)), p999Us: us(h.quantile(0.999)), maxUs: us(h.max) };
}

/** One version's counters. */
export class VersionTally {
  servedRows = 0;
  servedCalls = 0;
  shadowRows = 0;
  shadowCalls = 0;
  readonly latency = new LogHistogram();
  readonly shadowLatency = new LogHistogram();
  readonly #bins = new Float64Array(SCORE_BINS);
  #scoreSum = 0;
  #scoreCount = 0;
  #agreeRows = 0;
  #agreeSame = 0;
  #absDiff = 0;
  #outcomes = 0;
  #correct = 0;
  #logLoss = 0;
  readonly #errors = new Map<string, number>();

  served(rows: number, ms: number): void {
    this.servedRows += rows;
    this.servedCalls++;
    this.latency.record(ms * 1e6);
  }

  shadow(rows: number, ms: number): void {
    this.shadowRows += rows;
    this.shadowCalls++;
    this.shadowLatency.record(ms * 1e6);
  }

  score(p: number): void {
    const b = scoreBin(p);
    this.#bins[b] = (this.#bins[b] as number) + 1;
    this.#scoreSum += p;
    this.#scoreCount++;
  }

  /** A row this challenger and the champion both scored. */
  compare(p: number, threshold: number, champion: number, championThreshold: number): void {
    this.#agreeRows++;
    if (p >= threshold === champion >= championThreshold) this.#agreeSame++;
    this.#absDiff += Math.abs(p - champion);
  }

  outcome(p: number, threshold: number, label: 0 | 1): void {
    this.#outcomes++;
    if ((p >= threshold ? 1 : 0) === label) this.#correct++;
    const q = Math.min(Math.max(p, EPS), 1 - EPS);
    this.#logLoss -= label === 1 ? Math.log(q) : Math.log(1 - q);
  }

  error(e: unknown): void {
    const code = e instanceof EnsembleError ? e.code : 'Error';
    this.#errors.set(code, (this.#errors.get(code) ?? 0) + 1);
  }

  /** Failed calls by code (for metrics). */
  get errors(): ReadonlyMap<string, number> {
    return this.#errors;
  }

  /** The bins' counts (for metrics). */
  get bins(): Float64Array {
    return this.#bins;
  }

  get agreement(): { rows: number; same: number; absDiff: number } {
    return { rows: this.#agreeRows, same: this.#agreeSame, absDiff: this.#absDiff };
  }

  get outcomes(): { count: number; correct: number; logLoss: number } {
    return { count: this.#outcomes, correct: this.#correct, logLoss: this.#logLoss };
  }

  report(name: string, role: VersionStats['role'], version: string | undefined, threshold: number): VersionStats {
    const r: VersionStats = {
      name,
      role,
      version,
      threshold,
      servedRows: this.servedRows,
      servedCalls: this.servedCalls,
      shadowRows: this.shadowRows,
      shadowCalls: this.shadowCalls,
      latency: summary(this.latency),
      shadowLatency: summary(this.shadowLatency),
      scores: { count: this.#scoreCount, mean: this.#scoreCount ? this.#scoreSum / this.#scoreCount : null, bins: Array.from(this.#bins) },
      outcomes: {
        count: this.#outcomes,
        accuracy: this.#outcomes ? this.#correct / this.#outcomes : null,
        logLoss: this.#outcomes ? this.#logLoss / this.#outcomes : null,
      },
      errors: Object.fromEntries(this.#errors),
    };
    if (role === 'challenger') {
      r.agreement = {
        rows: this.#agreeRows,
        sameLabel: this.#agreeSame,
        rate: this.#agreeRows ? this.#agreeSame / this.#agreeRows : null,
        meanAbsDiff: this.#agreeRows ? this.#absDiff / this.#agreeRows : null,
      };
    }
    return r;
  }
}

/** Where a version's score for an id, and an outcome, are applied. */
export type OutcomeSink = (member: number, p: number, label: 0 | 1) => void;

/**
 * The ids scored and not yet matched with an outcome, at most `max` of them: past that the
 * oldest is dropped (counted as evicted), so memory stays bounded whatever the caller forgets.
 * Each id holds a slot of preallocated arrays (its versions' P(up), how many scores it awaits and
 * has, its label), so an id costs its Map entry and nothing allocated per call (~100 bytes).
 */
export class PendingOutcomes {
  readonly #members: number;
  readonly #max: number;
  readonly #sink: OutcomeSink;
  readonly #map = new Map<string | number, number>();
  /** Per slot: `members` scores (NaN until given); expected and received counts; label or -1. */
  #scores = new Float64Array(0);
  #expected = new Int32Array(0);
  #received = new Int32Array(0);
  #label = new Int8Array(0);
  readonly #free: number[] = [];
  evicted = 0;
  unmatched = 0;

  constructor(members: number, max: number, sink: OutcomeSink) {
    this.#members = members;
    this.#max = max;
    this.#sink = sink;
  }

  get size(): number {
    return this.#map.size;
  }

  // A free slot: recycled, else the arrays grow (doubling, up to max slots).
  #slot(): number {
    const recycled = this.#free.pop();
    if (recycled !== undefined) return recycled;
    const used = this.#map.size;
    if (used >= this.#label.length) {
      const cap = Math.min(this.#max, Math.max(16, this.#label.length * 2));
      const grow = <T extends Float64Array | Int32Array | Int8Array>(a: T, make: new (n: number) => T, width = 1): T => {
        const b = new make(cap * width);
        b.set(a);
        return b;
      };
      this.#scores = grow(this.#scores, Float64Array, this.#members);
      this.#expected = grow(this.#expected, Int32Array);
      this.#received = grow(this.#received, Int32Array);
      this.#label = grow(this.#label, Int8Array);
    }
    return used;
  }

  #release(id: string | number, slot: number): void {
    this.#map.delete(id);
    this.#free.push(slot);
  }

  /** Starts waiting for `id`'s outcome; `expected` versions will report a score for it. */
  open(id: string | number, expected: number): void {
    // A re-used id starts over: the latest scores are the ones the outcome is for.
    const again = this.#map.get(id);
    if (again !== undefined) this.#release(id, again);
    if (this.#map.size >= this.#max) {
      const oldest = this.#map.keys().next().value as string | number;
      this.#release(oldest, this.#map.get(oldest) as number);
      this.evicted++;
    }
    const slot = this.#slot();
    this.#scores.fill(Number.NaN, slot * this.#members, (slot + 1) * this.#members);
    this.#expected[slot] = expected;
    this.#received[slot] = 0;
    this.#label[slot] = -1;
    this.#map.set(id, slot);
  }

  /** Version `member` scored `id` (served or in shadow). */
  score(id: string | number, member: number, p: number): void {
    const slot = this.#map.get(id);
    if (slot === undefined || !Number.isNaN(this.#scores[slot * this.#members + member] as number)) return;
    this.#scores[slot * this.#members + member] = p;
    const received = (this.#received[slot] as number) + 1;
    this.#received[slot] = received;
    const label = this.#label[slot] as number;
    if (label >= 0) {
      this.#sink(member, p, label as 0 | 1);
      if (received >= (this.#expected[slot] as number)) this.#release(id, slot);
    }
  }

  /** A version that was to score `id` in shadow will not (dropped or failed). */
  cancel(id: string | number): void {
    const slot = this.#map.get(id);
    if (slot === undefined) return;
    const expected = (this.#expected[slot] as number) - 1;
    this.#expected[slot] = expected;
    if ((this.#label[slot] as number) >= 0 && (this.#received[slot] as number) >= expected) this.#release(id, slot);
  }

  /** The outcome of `id`: false when it is not (or no longer) awaited. */
  record(id: string | number, label: 0 | 1): boolean {
    const slot = this.#map.get(id);
    if (slot === undefined || (this.#label[slot] as number) >= 0) {
      this.unmatched++;
      return false;
    }
    this.#label[slot] = label;
    for (let m = 0; m < this.#members; m++) {
      const p = this.#scores[slot * this.#members + m] as number;
      if (!Number.isNaN(p)) this.#sink(m, p, label);
    }
    if ((this.#received[slot] as number) >= (this.#expected[slot] as number)) this.#release(id, slot);
    return true;
  }

  clear(): void {
    this.#map.clear();
    this.#free.length = 0;
    this.#scores = new Float64Array(0);
    this.#expected = new Int32Array(0);
    this.#received = new Int32Array(0);
    this.#label = new Int8Array(0);
  }
}
