/**
 * What every model offers (`ScoringModel`, the base of the three model classes): feature count and
 * names, batch scoring sync and async, the single-row `predictOne`, TreeSHAP explanations,
 * `close()` / `using`.
 */
import type { Binding } from './binding.js';
import { type Explanation, modelExplanation } from './explain.js';
import type { ModelDescription } from './model-types.js';
import { type Explained, type Generation, Scorer, type Shape, generation } from './scorer.js';
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
  readonly #shape: Shape<Info>;

  /** @internal */
  protected constructor(native: Binding.Scorer<Info>, shape: Shape<Info>) {
    this.#scorer = new Scorer(generation(native, shape), shape);
    this.#shape = shape;
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
   * Exact TreeSHAP contributions (path-dependent, as LightGBM's `pred_contrib`, XGBoost's
   * `pred_contribs` and shap's TreeExplainer compute them; docs/explain.md): per row and output,
   * one value per feature and the expected value, adding up to the model's output in its own
   * space (raw margin for a booster, class probabilities for a forest). NaN follows each split's
   * missing-value rule, as in scoring. Throws `NotExplainableError` for a model TreeSHAP cannot
   * follow exactly (categorical splits, linear trees, several outputs per row, a forest file
   * without node weights), saying why.
   * @example
   * const e = model.explain([row]);
   * e.ranked(0)[0]; // the feature that moved this row's output most
   */
  explain(x: MatrixInput<string>): Explanation<string> {
    return this.#explanation(this.#scorer.explain(x));
  }

  /**
   * `explain` on the libuv thread pool (every row costs a pass over every node of every tree, so
   * even one row is not explained inline). The input is copied when the call is made.
   * @example
   * const e = await model.explainAsync(rows);
   */
  async explainAsync(x: MatrixInput<string>): Promise<Explanation<string>> {
    return this.#explanation(await this.#scorer.explainAsync(x));
  }

  #explanation({ gen, rows, out }: Explained<Generation<Info>>): Explanation<string> {
    const info = gen.info;
    return modelExplanation(out, { rows, featureNames: info.featureNames, nFeatures: info.nFeatures, ...this.#shape.explanation(info) });
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
