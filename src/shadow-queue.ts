/**
 * The rows an ensemble set scores in shadow later: copied when they are answered, scored as one
 * batch per member after the caller has its answer, one batch at a time, and bounded (rows past
 * the bound are dropped and counted, never queued without limit).
 */

/** A batch of queued rows, as the flush takes it. */
export interface ShadowBatch {
  readonly rows: number;
  /** Row-major values, rows × nFeatures. */
  readonly data: Float64Array;
  /** The member that answered each row, and its answer. */
  readonly served: Uint8Array;
  readonly answered: Float64Array;
  /** The outcome id of each row, if any. */
  readonly ids: (string | number | undefined)[];
}

/** Rows waiting to be scored in shadow; grows by doubling up to `maxRows`. */
export class ShadowQueue {
  readonly #n: number;
  readonly #maxRows: number;
  #data: Float64Array;
  #served: Uint8Array;
  #answered: Float64Array;
  #ids: (string | number | undefined)[] = [];
  #rows = 0;
  dropped = 0;

  constructor(nFeatures: number, maxRows: number) {
    this.#n = nFeatures;
    this.#maxRows = maxRows;
    const start = Math.min(maxRows, 1024);
    this.#data = new Float64Array(start * nFeatures);
    this.#served = new Uint8Array(start);
    this.#answered = new Float64Array(start);
  }

  get rows(): number {
    return this.#rows;
  }

  #reserve(rows: number): number {
    const want = Math.min(this.#rows + rows, this.#maxRows);
    if (want > this.#served.length) {
      const cap = Math.min(this.#maxRows, Math.max(want, this.#served.length * 2));
      const data = new Float64Array(cap * this.#n);
      data.set(this.#data.subarray(0, this.#rows * this.#n));
      const served = new Uint8Array(cap);
      served.set(this.#served.subarray(0, this.#rows));
      const answered = new Float64Array(cap);
      answered.set(this.#answered.subarray(0, this.#rows));
      [this.#data, this.#served, this.#answered] = [data, served, answered];
    }
    return want - this.#rows;
  }

  /**
   * Queues rows [from, from + count) of `data` (row-major, any float type), answered by
   * `served[r]` (or the one `servedAll`) with `answered[r]`. Returns how many were queued; the
   * rest are dropped.
   */
  push(
    data: ArrayLike<number>,
    from: number,
    count: number,
    served: Uint8Array | number,
    answered: ArrayLike<number>,
    ids: readonly (string | number)[] | (string | number) | undefined,
  ): number {
    const take = this.#reserve(count);
    this.dropped += count - take;
    const n = this.#n;
    const at = this.#rows;
    if (data instanceof Float64Array || data instanceof Float32Array) {
      this.#data.set(data.subarray(from * n, (from + take) * n), at * n);
    } else {
      for (let i = 0; i < take * n; i++) this.#data[at * n + i] = data[from * n + i] as number;
    }
    for (let r = 0; r < take; r++) {
      this.#served[at + r] = typeof served === 'number' ? served : (served[from + r] as number);
      this.#answered[at + r] = answered[from + r] as number;
      this.#ids[at + r] = ids === undefined ? undefined : Array.isArray(ids) ? (ids as (string | number)[])[from + r] : (ids as string | number);
    }
    this.#rows += take;
    return take;
  }

  /** Takes every queued row (the queue starts empty again, keeping its buffers' capacity). */
  take(): ShadowBatch {
    const rows = this.#rows;
    const batch: ShadowBatch = {
      rows,
      data: this.#data.slice(0, rows * this.#n),
      served: this.#served.slice(0, rows),
      answered: this.#answered.slice(0, rows),
      ids: this.#ids.slice(0, rows),
    };
    this.#rows = 0;
    this.#ids = [];
    return batch;
  }

  clear(): void {
    this.#rows = 0;
    this.#ids = [];
  }
}
