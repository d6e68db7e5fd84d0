/**
 * Each model kind on its own, with any feature count: LightGBM and XGBoost boosters through their
 * C APIs, and scikit-learn forests in the package's forest format. The ensemble is built from
 * these same objects.
 */
import { type Binding, binding } from './binding.js';
import { ClosedError, withCallerStack } from './errors.js';
import { type ExplainShape, type Explanation, explainMatrix, explainMatrixAsync } from './explain.js';
import type { BoosterInfo, ForestInfo, LibraryInfo, ModelDescription } from './model-types.js';
import { type MatrixInput, type RowInput, toMatrix, toRow } from './validate.js';

/**
 * Async calls on this many rows or fewer are scored inline and return a settled promise: one row
 * takes a few microseconds, less than the hop to the libuv pool and back (~13 us measured).
 * @internal
 */
export const INLINE_ROWS = 1;

/**
 * Where a model comes from: a file path, or the bytes of a model file.
 * @example
 * await XGBoostModel.load(readFileSync('model.ubj')); // same as XGBoostModel.load('model.ubj')
 */
export type ModelSource = string | Uint8Array;

/**
 * The largest `threads` accepted. Larger values are refused as a mistake; accepted values are
 * capped at the machine's hardware threads (scoring is CPU-bound, and the libraries' OpenMP
 * runtimes abort the process when the system refuses a thread).
 */
export const MAX_THREADS = 1024;

/**
 * Options shared by every loader.
 * @example
 * await LightGBMModel.load('model.txt', { threads: 2, scorer: 'library' });
 */
export interface ModelLoadOptions {
  /**
   * Threads for batch scoring: an integer in [0, MAX_THREADS]; 0 or absent = all cores, and
   * more than the machine has is capped at that. Single rows always use one.
   */
  threads?: number;
  /** Path of lib_lightgbm.so to use (default: LIGHTGBM_LIB, then the bundled one, then the system's). */
  lightgbmLib?: string;
  /** Path of libxgboost.so to use (default: XGBOOST_LIB, then the bundled one, then the system's). */
  xgboostLib?: string;
  /**
   * Who scores LightGBM and XGBoost models. `'auto'` (default): the package's tree engine when it
   * supports the model and, at load, scores probe rows built from the model's own thresholds
   * bit-identically to the library; otherwise the library's C API. `'library'`: always the C API.
   * A model's `scorer` / `scorerNote` say which is in use and why.
   */
  scorer?: 'auto' | 'library';
  /**
   * The largest model file read, in bytes (default 1 GiB): a larger file is refused unread
   * (`ERR_MODEL_FORMAT`). Only regular files are read: a FIFO, a device or a directory is
   * `ERR_MODEL_NOT_FOUND`. A directory's metadata file is capped at 16 MiB, or at this when smaller.
   */
  maxFileBytes?: number;
}

/** @internal Throws a RangeError unless `threads` is undefined or an integer in [0, MAX_THREADS]. */
export function checkThreads(threads: unknown): void {
  if (threads !== undefined && (!Number.isInteger(threads) || (threads as number) < 0 || (threads as number) > MAX_THREADS)) {
    throw new RangeError(`threads must be an integer in [0, ${MAX_THREADS}], got ${String(threads)}`);
  }
}

/** @internal */
export function nativeOptions(options: ModelLoadOptions | undefined): Binding.NativeOptions {
  const threads = options?.threads;
  checkThreads(threads);
  const out: Binding.NativeOptions = { libraryDirs: binding().libraryDirs };
  if (threads !== undefined) out.threads = threads;
  if (options?.lightgbmLib !== undefined) out.lightgbmLib = options.lightgbmLib;
  if (options?.xgboostLib !== undefined) out.xgboostLib = options.xgboostLib;
  const maxFileBytes = options?.maxFileBytes;
  if (maxFileBytes !== undefined) {
    if (!Number.isSafeInteger(maxFileBytes) || maxFileBytes < 1) {
      throw new RangeError(`maxFileBytes must be a positive integer, got ${maxFileBytes}`);
    }
    out.maxFileBytes = maxFileBytes;
  }
  const scorer = options?.scorer;
  if (scorer !== undefined) {
    if (scorer !== 'auto' && scorer !== 'library') {
      throw new TypeError(`scorer must be 'auto' or 'library', got ${String(scorer)}`);
    }
    out.scorer = scorer;
  }
  return out;
}

/**
 * Freezes `value` and everything reachable from it, and returns it. The model descriptions are
 * frozen so that no getter hands out a live internal array: the feature names are what records
 * are looked up by, and a caller sorting them would silently move every later record row to the
 * wrong columns.
 * @internal
 */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** @internal */
export function toSource(source: ModelSource, what: string): Binding.Source {
  if (typeof source === 'string') return { path: source };
  if (source instanceof Uint8Array) return { bytes: source, name: `<${what} buffer>` };
  throw new TypeError(`${what} source must be a file path or a Uint8Array/Buffer`);
}

/**
 * What every model offers: its feature count and names, `close()` / `using`, and (in each
 * subclass) batch scoring sync and async and a single-row path. Rows given as records are keyed
 * by the model's own feature names.
 * @example
 * function describe(m: ScoringModel): string { return `${m.nFeatures} features, closed: ${m.closed}`; }
 */
export abstract class ScoringModel<Info extends ModelDescription = ModelDescription> {
  readonly #native: Binding.Scorer<Info>;
  readonly #info: Info;
  readonly #scratch: Float64Array;
  readonly #rowOut: Float64Array;
  #closed = false;

  /** @internal */
  protected constructor(native: Binding.Scorer<Info>) {
    this.#native = native;
    this.#info = deepFreeze(native.info());
    this.#scratch = new Float64Array(this.#info.nFeatures);
    this.#rowOut = new Float64Array(Math.max(1, this.width(1)));
  }

  /** @internal */
  get native(): Binding.Scorer<Info> {
    if (this.#closed) throw new ClosedError(`${this.constructor.name} is closed`);
    return this.#native;
  }

  /** @internal */
  get info(): Info {
    return this.#info;
  }

  /**
   * Number of input features per row.
   * @example
   * new Float64Array(rows * model.nFeatures)
   */
  get nFeatures(): number {
    return this.#info.nFeatures;
  }

  /**
   * Feature names stored in the model (may be empty); a frozen array.
   * @example
   * model.featureNames.indexOf('rsi_14')
   */
  get featureNames(): readonly string[] {
    return this.#info.featureNames;
  }

  /**
   * True after `close()`.
   * @example
   * if (!model.closed) model.close();
   */
  get closed(): boolean {
    return this.#closed;
  }

  /** @internal Output values per row for `kind`. */
  protected abstract width(kind: Binding.Kind): number;

  /** @internal What explain returns: the outputs and their space. */
  protected abstract explainShape(): ExplainShape<string>;

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
    const native = this.native;
    return explainMatrix(native, toMatrix(x, this.#info.nFeatures, this.#info.featureNames), this.explainShape());
  }

  /**
   * `explain` on the libuv thread pool (every row costs a pass over every node of every tree).
   * The input is copied when the call is made.
   */
  explainAsync(x: MatrixInput<string>): Promise<Explanation<string>> {
    const native = this.native;
    return explainMatrixAsync(native, toMatrix(x, this.#info.nFeatures, this.#info.featureNames), this.explainShape());
  }

  /** @internal */
  protected runSync(x: MatrixInput<string>, kind: Binding.Kind): Float64Array {
    const native = this.native;
    const m = toMatrix(x, this.#info.nFeatures, this.#info.featureNames);
    const out = new Float64Array(m.rows * this.width(kind));
    if (m.rows > 0) native.predict(m.data, m.rows, kind, out);
    return out;
  }

  /** @internal */
  protected async runAsync(x: MatrixInput<string>, kind: Binding.Kind): Promise<Float64Array> {
    const callSite = new Error();
    const native = this.native;
    const m = toMatrix(x, this.#info.nFeatures, this.#info.featureNames);
    const out = new Float64Array(m.rows * this.width(kind));
    if (m.rows === 0) return out;
    try {
      if (m.rows <= INLINE_ROWS) native.predict(m.data, m.rows, kind, out);
      else await native.predictAsync(m.data, m.rows, kind, out);
    } catch (e) {
      throw withCallerStack(e, callSite);
    }
    return out;
  }

  /**
   * The split nodes the rows pass on their way to a leaf, summed over every tree and row: the
   * work no exact scorer of these trees can avoid. `null` when the library scores the model
   * (see `scorer`).
   * @example
   * const perRow = (model.nodesVisited(rows) ?? 0) / rows.length;
   */
  nodesVisited(x: MatrixInput<string>): number | null {
    const m = toMatrix(x, this.#info.nFeatures, this.#info.featureNames);
    const data = m.data instanceof Float64Array ? m.data : Float64Array.from(m.data);
    return this.native.nodesVisited(data, m.rows);
  }

  /** @internal */
  protected runRow(row: RowInput<string>, kind: Binding.Kind): Float64Array {
    const native = this.native;
    const data = toRow(row, this.#info.nFeatures, this.#info.featureNames, this.#scratch);
    native.predictRow(data, kind, this.#rowOut);
    return this.#rowOut;
  }

  /**
   * Frees the native model. Idempotent; later calls to any method throw `ClosedError`. Async
   * calls already running finish first (they hold their own reference).
   * @example
   * const lgb = await LightGBMModel.load('model.txt');
   * try { lgb.predictProba(x); } finally { lgb.close(); }
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#native.close();
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

/**
 * A gradient-boosted model (LightGBM or XGBoost) with its library's outputs.
 * @example
 * function trees(m: BoosterModel): number { return m.numTrees; }
 */
export abstract class BoosterModel extends ScoringModel<BoosterInfo> {
  /** Classes as the library counts them: 1 for binary and regression, K for multiclass. */
  get nClasses(): number {
    return this.info.nClasses;
  }

  /** The objective stored in the model, e.g. `binary sigmoid:1` or `binary:logistic`. */
  get objective(): string {
    return this.info.objective;
  }

  /** Number of trees in the model. */
  get numTrees(): number {
    return this.info.numTrees;
  }

  /**
   * Who scores this model: `'engine'` (the package's tree engine, checked bit for bit against
   * the library at load) or `'library'` (the C API).
   */
  get scorer(): 'engine' | 'library' {
    return this.info.scorer;
  }

  /** Why the library scores this model when the engine does not (empty when the engine does). */
  get scorerNote(): string {
    return this.info.scorerNote;
  }

  /** The native library that scores this model: `{ path, version }`. */
  get library(): Readonly<LibraryInfo> {
    return this.info.library;
  }

  /** Values per row of predictProba (`outputWidth`) and of predictRaw (`marginWidth`). */
  get outputWidth(): number {
    return this.info.outputWidth;
  }

  /** @internal */
  protected width(kind: Binding.Kind): number {
    return kind === 0 ? this.info.outputWidth : this.info.marginWidth;
  }

  /** @internal Boosters are explained in margin space, as their libraries report it. */
  protected explainShape(): ExplainShape<string> {
    return { featureNames: this.featureNames, nFeatures: this.nFeatures, outputNames: ['margin'], space: 'margin' };
  }

  /**
   * The library's normal output, row-major: P(class 1) per row for a binary model, the class
   * probabilities (rows × nClasses) for a multiclass one, the prediction for a regression.
   */
  predictProba(x: MatrixInput<string>): Float64Array {
    return this.runSync(x, 0);
  }

  /**
   * `predictProba` on the libuv thread pool; the event loop stays free. The input is copied when
   * the call is made: you may reuse, refill or transfer its buffer at once (docs/threads.md).
   */
  predictProbaAsync(x: MatrixInput<string>): Promise<Float64Array> {
    return this.runAsync(x, 0);
  }

  /** Raw margins (before the sigmoid / softmax), row-major rows × marginWidth. */
  predictRaw(x: MatrixInput<string>): Float64Array {
    return this.runSync(x, 1);
  }

  /** `predictRaw` off the event loop; the input is copied when the call is made. */
  predictRawAsync(x: MatrixInput<string>): Promise<Float64Array> {
    return this.runAsync(x, 1);
  }

  /**
   * The single-row path for a model with one output per row: returns that value.
   * Allocates nothing when `row` is a typed array or a plain array.
   */
  predictOne(row: RowInput<string>): number {
    if (this.info.outputWidth !== 1) {
      throw new TypeError(`predictOne returns one number; this model has ${this.info.outputWidth} outputs per row: use predictProba([row])`);
    }
    return this.runRow(row, 0)[0] as number;
  }
}

/**
 * A LightGBM booster loaded from a text model, scored by lib_lightgbm.
 * @example
 * const lgb = await LightGBMModel.load('models/production/lightgbm.txt');
 * const p = lgb.predictProba([[...twelveNumbers]]); // Float64Array of P(class 1)
 */
export class LightGBMModel extends BoosterModel {
  private constructor(native: Binding.LightGBMBooster) {
    super(native);
  }

  /** @internal Wraps a model the addon loaded (the ensemble hands out its models this way). */
  static fromNative(native: Binding.LightGBMBooster): LightGBMModel {
    return new LightGBMModel(native);
  }

  /** Loads and validates a LightGBM text model (file path or bytes), off the event loop. */
  static async load(source: ModelSource, options?: ModelLoadOptions): Promise<LightGBMModel> {
    const native = await binding().addon.loadLightGBM(toSource(source, 'LightGBM'), nativeOptions(options), true);
    return new LightGBMModel(native);
  }

  /** Same as `load`, blocking. */
  static loadSync(source: ModelSource, options?: ModelLoadOptions): LightGBMModel {
    return new LightGBMModel(binding().addon.loadLightGBM(toSource(source, 'LightGBM'), nativeOptions(options), false));
  }

  /**
   * Loads a model from the text of a LightGBM model (what `Booster.model_to_string()` returns).
   * @example
   * const lgb = LightGBMModel.fromString(await fetchModelText());
   */
  static fromString(text: string, options?: ModelLoadOptions): LightGBMModel {
    if (typeof text !== 'string') throw new TypeError('fromString needs the model text as a string');
    return new LightGBMModel(
      binding().addon.loadLightGBM({ bytes: Buffer.from(text, 'utf8'), name: '<LightGBM string>' }, nativeOptions(options), false),
    );
  }
}

/**
 * An XGBoost booster loaded from a JSON or UBJ model, scored by libxgboost.
 * @example
 * const xgb = await XGBoostModel.load('models/production/xgboost.json');
 * const margins = xgb.predictRaw(new Float64Array(12 * 100));
 */
export class XGBoostModel extends BoosterModel {
  private constructor(native: Binding.XGBoostBooster) {
    super(native);
  }

  /** @internal Wraps a model the addon loaded (the ensemble hands out its models this way). */
  static fromNative(native: Binding.XGBoostBooster): XGBoostModel {
    return new XGBoostModel(native);
  }

  /** Loads and validates an XGBoost JSON/UBJ model (file path or bytes), off the event loop. */
  static async load(source: ModelSource, options?: ModelLoadOptions): Promise<XGBoostModel> {
    const native = await binding().addon.loadXGBoost(toSource(source, 'XGBoost'), nativeOptions(options), true);
    return new XGBoostModel(native);
  }

  /** Same as `load`, blocking. */
  static loadSync(source: ModelSource, options?: ModelLoadOptions): XGBoostModel {
    return new XGBoostModel(binding().addon.loadXGBoost(toSource(source, 'XGBoost'), nativeOptions(options), false));
  }
}

/**
 * A scikit-learn RandomForestClassifier / ExtraTreesClassifier in the package's forest format
 * (written by tools/export_sklearn_forest.py), scored by the package's own engine.
 * @example
 * const rf = await RandomForestModel.load('models/production/random_forest.forest');
 * const proba = rf.predictProba(rows); // rows × nClasses, as sklearn's predict_proba
 */
export class RandomForestModel extends ScoringModel<ForestInfo> {
  private constructor(native: Binding.Forest) {
    super(native);
  }

  /** @internal Wraps a model the addon loaded (the ensemble hands out its models this way). */
  static fromNative(native: Binding.Forest): RandomForestModel {
    return new RandomForestModel(native);
  }

  /** Loads and validates a forest file (path or bytes), off the event loop. */
  static async load(source: ModelSource, options?: ModelLoadOptions): Promise<RandomForestModel> {
    const native = await binding().addon.loadForest(toSource(source, 'forest'), nativeOptions(options), true);
    return new RandomForestModel(native);
  }

  /** Same as `load`, blocking. */
  static loadSync(source: ModelSource, options?: ModelLoadOptions): RandomForestModel {
    return new RandomForestModel(binding().addon.loadForest(toSource(source, 'forest'), nativeOptions(options), false));
  }

  /** Number of classes (columns of predictProba). */
  get nClasses(): number {
    return this.info.nClasses;
  }

  /** The class labels, in column order (scikit-learn `classes_`); a frozen array. */
  get classes(): readonly number[] {
    return this.info.classes;
  }

  /** Number of trees. */
  get numTrees(): number {
    return this.info.numTrees;
  }

  /** True when the forest accepts NaN (trained with scikit-learn >= 1.4 missing-value support). */
  get allowsNaN(): boolean {
    return this.info.allowsNaN;
  }

  /** @internal */
  protected width(): number {
    return this.info.nClasses;
  }

  /** @internal A forest is explained in probability space, every class. */
  protected explainShape(): ExplainShape<string> {
    return {
      featureNames: this.featureNames,
      nFeatures: this.nFeatures,
      outputNames: this.classes.map((c) => `P(${c})`),
      space: 'probability',
    };
  }

  /** Class probabilities, row-major rows × nClasses, exactly as scikit-learn's predict_proba. */
  predictProba(x: MatrixInput<string>): Float64Array {
    return this.runSync(x, 0);
  }

  /**
   * `predictProba` off the event loop. The input is copied when the call is made: you may reuse
   * its buffer at once.
   */
  predictProbaAsync(x: MatrixInput<string>): Promise<Float64Array> {
    return this.runAsync(x, 0);
  }

  /** Class probabilities of one row (nClasses values). */
  predictOne(row: RowInput<string>): Float64Array {
    return this.runRow(row, 0).slice();
  }
}
