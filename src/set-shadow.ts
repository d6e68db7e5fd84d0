/**
 * An ensemble set's shadow work: the versions that did not answer a row score it, now (inline) or
 * after the answer (deferred: queued, then one batch per version at a time on the libuv pool),
 * and their scores feed the statistics: distributions, agreement with the champion, outcomes.
 */
import type { ProductionEnsemble } from './ensemble.js';
import type { PendingOutcomes, VersionTally } from './set-stats.js';
import type { ShadowQueue } from './shadow-queue.js';

/** What the shadow work needs of a version. */
export interface ShadowMember {
  readonly model: ProductionEnsemble<string>;
  readonly tally: VersionTally;
}

type Ids = readonly (string | number)[] | string | number | undefined;

export class ShadowWork {
  readonly #members: readonly ShadowMember[];
  readonly #mode: 'deferred' | 'inline' | 'off';
  readonly #queue: ShadowQueue;
  readonly #outcomes: PendingOutcomes;
  #flushing: Promise<void> | undefined;
  #scheduled = false;
  #closed = false;

  constructor(members: readonly ShadowMember[], mode: 'deferred' | 'inline' | 'off', queue: ShadowQueue, outcomes: PendingOutcomes) {
    this.#members = members;
    this.#mode = mode;
    this.#queue = queue;
    this.#outcomes = outcomes;
  }

  /** Rows answered (row r by version served[r], with answered[r]): the others score them. */
  add(data: Float32Array | Float64Array, rows: number, served: Uint8Array | number, answered: ArrayLike<number>, ids: Ids): void {
    if (this.#closed) return;
    if (this.#mode === 'inline') this.#shadowNow(data, rows, served, answered, ids);
    else if (this.#mode === 'deferred') this.#defer(data, rows, served, answered, ids);
  }

  /** Resolves once every row queued so far has been scored. */
  async flush(): Promise<void> {
    while (this.#queue.rows > 0 || this.#flushing) await this.#drain();
  }

  /** Drops what is queued; a batch being scored finishes. */
  close(): void {
    this.#closed = true;
    this.#queue.clear();
  }

  #defer(data: ArrayLike<number>, rows: number, served: Uint8Array | number, answered: ArrayLike<number>, ids: Ids): void {
    const queued = this.#queue.push(data, 0, rows, served, answered, ids);
    if (ids !== undefined) {
      // Rows dropped from the queue will not be scored in shadow: their outcomes expect fewer scores.
      for (let r = queued; r < rows; r++) for (let k = 1; k < this.#members.length; k++) this.#outcomes.cancel(Array.isArray(ids) ? (ids[r] as string | number) : (ids as string | number));
    }
    if (!this.#scheduled && this.#flushing === undefined) {
      this.#scheduled = true;
      setImmediate(() => {
        this.#scheduled = false;
        void this.#drain();
      });
    }
  }

  // Flushes until the queue is empty, one batch per version at a time.
  #drain(): Promise<void> {
    if (this.#flushing) return this.#flushing;
    const run = async () => {
      while (this.#queue.rows > 0 && !this.#closed) {
        const b = this.#queue.take();
        const scores = await Promise.all(this.#members.map(async (m, j) => {
          const rows: number[] = [];
          for (let r = 0; r < b.rows; r++) if (b.served[r] !== j) rows.push(r);
          if (rows.length === 0) return undefined;
          const n = b.data.length / b.rows;
          const input = rows.length === b.rows ? b.data : new Float64Array(rows.length * n);
          if (input !== b.data) rows.forEach((r, i) => input.set(b.data.subarray(r * n, (r + 1) * n), i * n));
          const t = performance.now();
          try {
            const p = await m.model.predictProbaAsync(input);
            m.tally.shadow(rows.length, performance.now() - t);
            return { rows, p };
          } catch (e) {
            m.tally.error(e);
            for (const r of rows) if (b.ids[r] !== undefined) this.#outcomes.cancel(b.ids[r] as string | number);
            return undefined;
          }
        }));
        this.#account(b.rows, b.served, b.answered, b.ids, scores);
      }
    };
    this.#flushing = run().finally(() => {
      this.#flushing = undefined;
    });
    return this.#flushing;
  }

  // Inline shadow: every other version scores the rows now, on this thread.
  #shadowNow(data: Float32Array | Float64Array, rows: number, served: Uint8Array | number, answered: ArrayLike<number>, ids: Ids): void {
    const n = data.length / rows;
    const servedAt = (r: number) => (typeof served === 'number' ? served : (served[r] as number));
    const scores = this.#members.map((m, j) => {
      const list: number[] = [];
      for (let r = 0; r < rows; r++) if (servedAt(r) !== j) list.push(r);
      if (list.length === 0) return undefined;
      const input = list.length === rows ? data : new Float64Array(list.length * n);
      if (input !== data) list.forEach((r, i) => input.set(data.subarray(r * n, (r + 1) * n), i * n));
      const t = performance.now();
      try {
        const p = rows === 1 ? Float64Array.of(m.model.predictOne(input)) : m.model.predictProba(input);
        m.tally.shadow(list.length, performance.now() - t);
        return { rows: list, p };
      } catch (e) {
        m.tally.error(e);
        // Its scores will not come: the outcomes of these rows expect one score fewer.
        for (const r of list) {
          const id = ids === undefined ? undefined : Array.isArray(ids) ? (ids as (string | number)[])[r] : (ids as string | number);
          if (id !== undefined) this.#outcomes.cancel(id);
        }
        return undefined;
      }
    });
    const idList = ids === undefined ? [] : Array.isArray(ids) ? ids : [ids as string | number];
    this.#account(rows, typeof served === 'number' ? new Uint8Array(rows).fill(served) : served, answered, idList, scores);
  }

  // Statistics of shadow scores: each version's distribution, agreement with the champion, outcomes.
  #account(rows: number, served: Uint8Array, answered: ArrayLike<number>, ids: readonly (string | number | undefined)[], scores: ({ rows: number[]; p: Float64Array } | undefined)[]): void {
    const all = this.#members.map(() => new Float64Array(rows).fill(Number.NaN));
    for (let r = 0; r < rows; r++) (all[served[r] as number] as Float64Array)[r] = answered[r] as number;
    scores.forEach((s, j) => {
      if (s === undefined) return;
      const tally = (this.#members[j] as ShadowMember).tally;
      s.rows.forEach((r, i) => {
        const p = s.p[i] as number;
        (all[j] as Float64Array)[r] = p;
        tally.score(p);
        const id = ids[r];
        if (id !== undefined) this.#outcomes.score(id, j, p);
      });
    });
    const champion = this.#members[0] as ShadowMember;
    const c = all[0] as Float64Array;
    for (let j = 1; j < this.#members.length; j++) {
      const m = this.#members[j] as ShadowMember;
      const pj = all[j] as Float64Array;
      for (let r = 0; r < rows; r++) {
        if (!Number.isNaN(pj[r] as number) && !Number.isNaN(c[r] as number)) m.tally.compare(pj[r] as number, m.model.threshold, c[r] as number, champion.model.threshold);
      }
    }
  }
}
