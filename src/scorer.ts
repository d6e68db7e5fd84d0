/**
 * The one path from a public scoring or explaining method to the native object, shared by the
 * three model classes and the ensemble: the closed check, input to native call, one row inline or
 * a batch on the libuv pool, the caller's stack on async errors, and the single value `predictOne`
 * returns.
 * @internal
 */
import type { Binding } from './binding.js';
import { ClosedError, withCallerStack } from './errors.js';
import type { ExplanationSpace } from './explain.js';
import type { ModelDescription } from './model-types.js';
import { type MatrixInput, type RowInput, toMatrix, toRow } from './validate.js';

/**
 * Async calls on this many rows or fewer are scored inline and return a settled promise: one row
 * takes a few microseconds, less than the hop to the libuv pool and back (~13 us measured).
 */
export const INLINE_ROWS = 1;

/**
 * Freezes `value` and everything reachable from it, and returns it. What the native side reports
 * is frozen so that no getter hands out a live internal array: the feature names are what records
 * are looked up by, and a caller sorting them would silently move every later record row to the
 * wrong columns.
 */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** What differs between the public classes; one constant per class. */
export interface Shape<Info extends ModelDescription> {
  /** The public class's name, as `ClosedError` messages give it. */
  readonly name: string;
  /** Output values per row for `kind`. */
  width(info: Info, kind: Binding.Kind): number;
  /** Which value of a row's output `predictOne` returns, or the sentence saying why it cannot. */
  single(info: Info): number | string;
  /** Per-model values per row the native call can also write (the ensemble's three parts), else 0. */
  readonly partsPerRow: number;
  /** What an explanation's outputs are called and what they add up to. */
  explanation(info: Info): { outputNames: readonly string[]; space: ExplanationSpace };
}

/**
 * One native scoring object and everything read from it, built once when it is wrapped and never
 * changed: a call takes the generation in force when it starts and uses nothing else.
 */
export interface Generation<Info extends ModelDescription> {
  readonly native: Binding.Scorer<Info>;
  /** `native.info()`, deep-frozen. */
  readonly info: Info;
  /** The row buffer of `predictOne` (so that it allocates nothing) and its output. */
  readonly scratch: Float64Array;
  readonly rowOut: Float64Array;
  /** `Shape.single` of this generation's info. */
  readonly single: number | string;
}

/** Wraps a native object as a generation of a class of `shape`. */
export function generation<Info extends ModelDescription>(native: Binding.Scorer<Info>, shape: Shape<Info>): Generation<Info> {
  const info = deepFreeze(native.info());
  return {
    native,
    info,
    scratch: new Float64Array(info.nFeatures),
    rowOut: new Float64Array(Math.max(1, shape.width(info, 0))),
    single: shape.single(info),
  };
}

/** A batch's outputs: `rows × width` values, and the per-model parts when asked for. */
export interface Scored {
  out: Float64Array;
  parts: Float64Array | undefined;
}

/** The scoring methods an observer is told about. */
export type ScoringMethod = 'predict' | 'predictAsync' | 'predictOne';

/**
 * Told of every scoring call of one `Scorer` (metrics, per-version statistics): the generation
 * that scored, the rows and the wall time, or the error. Only set when asked for: a scorer
 * without an observer pays one field read per call.
 */
export interface ScoringObserver<G> {
  /** `values`: the outputs (rows × width, e.g. the ensemble's P(up)), or the one `predictOne` returned. */
  scored(g: G, method: ScoringMethod, rows: number, seconds: number, values: Float64Array | number): void;
  failed(g: G, method: ScoringMethod, error: unknown): void;
}

/**
 * Sees a batch's input when the call is made and returns what to run once it is scored (the
 * ensemble's drift monitor). `pooled`: the batch is scored on the libuv pool, so whatever the
 * observer keeps of `data` it copies now (the caller may refill its buffer at once).
 */
export type BatchObserver = (data: Binding.Input, rows: number, pooled: boolean) => (scored: Scored) => void;

/**
 * A batch's explanation as the core writes it (src/explain.ts shapes it): per row and output,
 * nFeatures contributions then the expected value; the parts (the ensemble's three models) the
 * same, part after part. `gen` is the generation that explained it.
 */
export interface Explained<G> {
  gen: G;
  rows: number;
  out: Float64Array;
  parts: Float64Array | undefined;
}

/**
 * Scores through the generation in force. `G` may carry more than the native object (the
 * ensemble's models, directory and threshold), so that everything one load produced is swapped
 * together.
 *
 * Hot swap (issue 13): replacing the models is the single assignment `#gen = next`. Every call
 * reads `#gen` once, synchronously, before anything else, and never again: a sync call ends
 * before any other JS can run, and an async call hands the native object (whose worker holds its
 * own reference to the core model) everything it needs before its first `await`. So calls in
 * flight finish on the old generation, later calls use the new one, and `retire(old)` right
 * after the swap is safe: closing a native object frees its memory when the last call on it ends
 * (native/addon/model_wrap.h).
 */
export class Scorer<Info extends ModelDescription, G extends Generation<Info> = Generation<Info>> {
  #gen: G;
  #closed = false;
  /** Told of every call when set (src/metrics.ts, the ensemble set's statistics). */
  observer: ScoringObserver<G> | undefined;
  readonly #shape: Shape<Info>;
  readonly #retire: (gen: G) => void;

  /** `retire` frees a generation no call will start on again (by default: closes its native object). */
  constructor(gen: G, shape: Shape<Info>, retire: (gen: G) => void = (g) => g.native.close()) {
    this.#gen = gen;
    this.#shape = shape;
    this.#retire = retire;
  }

  /** The generation in force: `ClosedError` once closed. Every public call starts here. */
  get live(): G {
    if (this.#closed) throw new ClosedError(`${this.#shape.name} is closed`);
    return this.#gen;
  }

  /** The generation in force, closed or not: for getters that keep answering after `close()`. */
  get last(): G {
    return this.#gen;
  }

  get closed(): boolean {
    return this.#closed;
  }

  #prepare(x: MatrixInput<string>, kind: Binding.Kind, withParts: boolean): { g: G; data: Binding.Input; rows: number } & Scored {
    const g = this.live;
    const m = toMatrix(x, g.info.nFeatures, g.info.featureNames);
    const out = new Float64Array(m.rows * this.#shape.width(g.info, kind));
    const parts = withParts ? new Float64Array(m.rows * this.#shape.partsPerRow) : undefined;
    return { g, data: m.data, rows: m.rows, out, parts };
  }

  /** Scores a batch on the calling thread; `observe` sees it (rows > 0) once scored. */
  predict(x: MatrixInput<string>, kind: Binding.Kind, withParts = false, observe?: BatchObserver): Scored {
    if (this.observer !== undefined) return this.#observed('predict', () => this.#predict(x, kind, withParts, observe));
    return this.#predict(x, kind, withParts, observe).scored;
  }

  #predict(x: MatrixInput<string>, kind: Binding.Kind, withParts: boolean, observe: BatchObserver | undefined): { g: G; rows: number; scored: Scored } {
    const { g, data, rows, out, parts } = this.#prepare(x, kind, withParts);
    if (rows > 0) {
      g.native.predict(data, rows, kind, out, parts);
      observe?.(data, rows, false)({ out, parts });
    }
    return { g, rows, scored: { out, parts } };
  }

  // The observed variant of a sync call: the same work, timed, and its outcome reported.
  #observed<T extends Scored | number>(method: ScoringMethod, call: () => { g: G; rows: number; scored: T }): T {
    const obs = this.observer as ScoringObserver<G>;
    const started = performance.now();
    let r: { g: G; rows: number; scored: T };
    try {
      r = call();
    } catch (e) {
      obs.failed(this.#gen, method, e);
      throw e;
    }
    obs.scored(r.g, method, r.rows, (performance.now() - started) / 1e3, typeof r.scored === 'number' ? r.scored : r.scored.out);
    return r.scored;
  }

  /**
   * Runs a native call inline when the batch has at most `inlineRows` rows, else awaits its libuv
   * form; either way an error carries the caller's stack. The pooled call starts before the first
   * `await`, so it gets the generation read when the public call was made.
   */
  async #offLoop(callSite: Error, rows: number, inlineRows: number, inline: () => void, pooled: () => Promise<void>): Promise<void> {
    try {
      if (rows <= inlineRows) inline();
      else await pooled();
    } catch (e) {
      throw withCallerStack(e, callSite);
    }
  }

  /**
   * Scores a batch on the libuv pool (one row inline: a settled promise). Misuse rejects rather
   * than throws; the native call copies the input, so the caller may reuse its buffer at once.
   */
  async predictAsync(x: MatrixInput<string>, kind: Binding.Kind, withParts = false, observe?: BatchObserver): Promise<Scored> {
    const callSite = new Error();
    const obs = this.observer;
    const started = obs === undefined ? 0 : performance.now();
    // The generation is read once, before the first await; a failure is reported against it.
    let g = this.#gen;
    try {
      const p = this.#prepare(x, kind, withParts);
      g = p.g;
      const { data, rows, out, parts } = p;
      const gen = g;
      const seen = rows > 0 ? observe?.(data, rows, rows > INLINE_ROWS) : undefined;
      await this.#offLoop(
        callSite,
        rows,
        INLINE_ROWS,
        () => {
          if (rows > 0) gen.native.predict(data, rows, kind, out, parts);
        },
        () => gen.native.predictAsync(data, rows, kind, out, parts),
      );
      seen?.({ out, parts });
      obs?.scored(g, 'predictAsync', rows, (performance.now() - started) / 1e3, out);
      return { out, parts };
    } catch (e) {
      obs?.failed(g, 'predictAsync', e);
      throw withCallerStack(e, callSite);
    }
  }

  #prepareExplain(x: MatrixInput<string>): { data: Binding.Input } & Explained<G> {
    const g = this.live;
    const m = toMatrix(x, g.info.nFeatures, g.info.featureNames);
    const shape = g.native.explainShape();
    const w = g.info.nFeatures + 1;
    // A model that cannot be explained (outputs 0) throws its own error from the core.
    const out = new Float64Array(m.rows * Math.max(1, shape.outputs) * w);
    const parts = shape.parts > 0 ? new Float64Array(shape.parts * m.rows * w) : undefined;
    return { gen: g, data: m.data, rows: m.rows, out, parts };
  }

  /** Explains a batch on the calling thread (no rows: still throws when nothing can be explained). */
  explain(x: MatrixInput<string>): Explained<G> {
    const { data, ...e } = this.#prepareExplain(x);
    e.gen.native.explain(data, e.rows, e.out, e.parts);
    return e;
  }

  /**
   * Explains a batch on the libuv pool, never inline: one row is a pass over every node of every
   * tree, far more than the hop. The native call copies the input.
   */
  async explainAsync(x: MatrixInput<string>): Promise<Explained<G>> {
    const callSite = new Error();
    const { data, ...e } = this.#prepareExplain(x);
    const native = e.gen.native;
    await this.#offLoop(
      callSite,
      e.rows,
      0,
      () => native.explain(data, e.rows, e.out, e.parts),
      () => native.explainAsync(data, e.rows, e.out, e.parts),
    );
    return e;
  }

  /**
   * The single-row path: the one value `Shape.single` names, or a TypeError pointing to
   * `predictProba` when the model has no single value per row. Allocates nothing for typed-array
   * and array rows.
   */
  predictOne(row: RowInput<string>): number {
    if (this.observer !== undefined) return this.#observed('predictOne', () => ({ g: this.#gen, rows: 1, scored: this.#predictOne(row) }));
    return this.#predictOne(row);
  }

  #predictOne(row: RowInput<string>): number {
    const g = this.live;
    if (typeof g.single === 'string') throw new TypeError(g.single);
    g.native.predictRow(toRow(row, g.info.nFeatures, g.info.featureNames, g.scratch), 0, g.rowOut);
    return g.rowOut[g.single] as number;
  }

  /** The split nodes the rows pass (see the public `nodesVisited`). */
  nodesVisited(x: MatrixInput<string>): number | null {
    const g = this.live;
    const m = toMatrix(x, g.info.nFeatures, g.info.featureNames);
    const data = m.data instanceof Float64Array ? m.data : Float64Array.from(m.data);
    return g.native.nodesVisited(data, m.rows);
  }

  /**
   * Puts `next` in force and retires the generation it replaces: calls already running finish on
   * the old one (see the class comment), calls starting after this use `next`. Once closed,
   * `next` is retired instead and `ClosedError` thrown, so a reload that ends after `close()`
   * leaks nothing.
   */
  swap(next: G): void {
    if (this.#closed) {
      this.#retire(next);
      throw new ClosedError(`${this.#shape.name} is closed`);
    }
    const old = this.#gen;
    this.#gen = next;
    this.#retire(old);
  }

  /** Retires the generation in force; idempotent. Later calls throw `ClosedError`. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#retire(this.#gen);
  }
}
