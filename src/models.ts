/**
 * What every model offers (`ScoringModel`, the base of the three model classes): feature count and
 * names, batch scoring sync and async, the single-row `predictOne`, `close()` / `using`.
 */
import type { Binding } from './binding.js';
import type { ModelDescription } from './model-types.js';
import { Scorer, type Shape, generation } from './scorer.js';
import type { MatrixInput, RowInput } from './validate.js';

/**
 * What every model offers: its feature count and names, batch scoring sync and async, one number
 * per row from `predictOne`, and `close()` / `using`. Rows given as records are keyed by the
 * model's own feature names.
 * @example
 * function describe(m: ScoringModel): string { return `${m.nFeatures} features, closed: ${m.closed}`; }
 */
export abstract class ScoringModel<Info extends ModelDescription = ModelDescription> {
  readonly #scorer: Scorer<Info>;

  /** @internal */
  protected constructor(native: Binding.Scorer<Info>, shape: Shape<Info>) {
    this.#scorer = new Scorer(generation(native, shape), shape);
  }

  /** @internal The native object (`ClosedError` once closed): the ensemble is built from it. */
  get native(): Binding.Scorer<Info> {
    return this.#scorer.live.native;
  }

  /** @internal What the loader reported, deep-frozen; still readable after `close()`. */
  get info(): Info {
    return this.#scorer.last.info;
  }

  /** @internal */
  protected get scoring(): Scorer<Info> {
    return this.#scorer;
  }

  /**
   * Number of input features per row.
   * @example
   * new Float64Array(rows * model.nFeatures)
   */
  get nFeatures(): number {
    return this.info.nFeatures;
  }

  /**
   * Feature names stored in the model (may be empty); a frozen array.
   * @example
   * model.featureNames.indexOf('rsi_14')
   */
  get featureNames(): readonly string[] {
    return this.info.featureNames;
  }

  /**
   * True after `close()`.
   * @example
   * if (!model.closed) model.close();
   */
  get closed(): boolean {
    return this.#scorer.closed;
  }

  /**
   * The model's probabilities, row-major: for a binary classifier P(class 1) per row (boosters)
   * or both classes' (forests, rows × 2 as scikit-learn); rows × nClasses for a multiclass model;
   * the prediction of a regression. Each class's own TSDoc says which.
   * @example
   * const p = model.predictProba(new Float64Array(model.nFeatures * 100));
   */
  predictProba(x: MatrixInput<string>): Float64Array {
    return this.#scorer.predict(x, 0).out;
  }

  /**
   * `predictProba` on the libuv thread pool; the event loop stays free (a single row is scored
   * inline: it costs less than the hop). The input is copied when the call is made: you may reuse,
   * refill or transfer its buffer at once (docs/threads.md).
   * @example
   * const p = await model.predictProbaAsync(rows);
   */
  predictProbaAsync(x: MatrixInput<string>): Promise<Float64Array> {
    return this.#scorer.predictAsync(x, 0).then((r) => r.out);
  }

  /**
   * The single-row latency path: one number, the same on every class. P(class 1) for a binary
   * classifier (boosters and forests alike: a forest's `classes[1]`), a regression's prediction;
   * a model with several outputs per row (multiclass) throws a TypeError pointing to
   * `predictProba`. Allocates nothing when `row` is a typed array or a plain array.
   * @example
   * const p: number = model.predictOne(Float64Array.from(latestFeatures));
   */
  predictOne(row: RowInput<string>): number {
    return this.#scorer.predictOne(row);
  }

  /**
   * The split nodes the rows pass on their way to a leaf, summed over every tree and row: the
   * work no exact scorer of these trees can avoid. `null` when the library scores the model
   * (see `scorer`).
   * @example
   * const perRow = (model.nodesVisited(rows) ?? 0) / rows.length;
   */
  nodesVisited(x: MatrixInput<string>): number | null {
    return this.#scorer.nodesVisited(x);
  }

  /**
   * Frees the native model. Idempotent; later calls to any scoring method throw `ClosedError`.
   * Async calls already running finish first (they hold their own reference).
   * @example
   * const lgb = await LightGBMModel.load('model.txt');
   * try { lgb.predictProba(x); } finally { lgb.close(); }
   */
  close(): void {
    this.#scorer.close();
  }

  /**
   * Same as `close()`, for `using model = ...`.
   * @example
   * using rf = await RandomForestModel.load('model.forest'); // closed at the end of the block
   */
  [Symbol.dispose](): void {
    this.close();
  }
}
