/**
 * ProductionEnsemble: the bot's model, P(up) = 0.4·LightGBM + 0.4·XGBoost + 0.2·RandomForest,
 * loaded from a model directory (docs/metadata.md) and scored in one native call per batch.
 */
import { join } from 'node:path';
import { type Binding, packageRoot } from './binding.js';
import { modelInfo, probe, unhealthy } from './ensemble-info.js';
import { type EnsembleGeneration, combine, ensembleShape, loadDirectory, loadDirectorySync, retire } from './ensemble-load.js';
import type { EnsembleLoadOptions, EnsembleModels, EnsembleWeights, FromModelsOptions, HealthReport, ModelInfo, ModelProbabilities } from './ensemble-types.js';
import { withCallerStack } from './errors.js';
import type { FeatureName } from './features.js';
import { Scorer, type Scored } from './scorer.js';
import type { MatrixInput, RowInput } from './validate.js';

/**
 * The bundled default model directory (models/production inside the package).
 * @example
 * const model = await ProductionEnsemble.load(defaultModelDirectory); // same as load()
 */
export const defaultModelDirectory = join(packageRoot, 'models', 'production');

function split({ out, parts }: Scored): ModelProbabilities {
  const rows = out.length;
  const p = parts as Float64Array;
  return { lightgbm: p.subarray(0, rows), xgboost: p.subarray(rows, 2 * rows), randomForest: p.subarray(2 * rows, 3 * rows), ensemble: out };
}

/**
 * The production ensemble. `Name` types the keys of rows given as records: by default the 12
 * production features ({@link FeatureName}); a model directory with other features is loaded as
 * `ProductionEnsemble.load<string>(dir)` (any names, checked at run time) or with its own names.
 * @example
 * import { ProductionEnsemble } from 'production-ensemble';
 * const model = await ProductionEnsemble.load(); // the bundled models/production
 * const p = model.predictProba([[...twelveFeatureValues]]); // Float64Array of P(up)
 * const labels = model.predict(rows);                        // Uint8Array of 0/1 at the threshold
 * const one = model.predictOne({ close: 101.2, volume: 5400, ... }); // number
 * model.close();
 */
export class ProductionEnsemble<Name extends string = FeatureName> {
  // Everything one load produced, behind the scoring path every class shares (src/scorer.ts).
  readonly #scorer: Scorer<Binding.EnsembleInfo, EnsembleGeneration>;

  private constructor(gen: EnsembleGeneration) {
    this.#scorer = new Scorer(gen, ensembleShape, retire);
  }

  /**
   * Loads a model directory (default: the bundled `models/production`), checks its metadata
   * against the three models, and returns the ensemble. Runs off the event loop.
   * @example
   * const model = await ProductionEnsemble.load();                       // the 12 production features
   * const other = await ProductionEnsemble.load<'a' | 'b'>('models/ab');  // records keyed 'a', 'b'
   */
  static async load<Name extends string = FeatureName>(dir: string = defaultModelDirectory, options?: EnsembleLoadOptions): Promise<ProductionEnsemble<Name>> {
    const callSite = new Error();
    try {
      return new ProductionEnsemble<Name>(await loadDirectory(dir, options));
    } catch (e) {
      throw withCallerStack(e, callSite);
    }
  }

  /**
   * Same as `load`, blocking.
   * @example
   * const model = ProductionEnsemble.loadSync(); // at start-up, before serving
   */
  static loadSync<Name extends string = FeatureName>(dir: string = defaultModelDirectory, options?: EnsembleLoadOptions): ProductionEnsemble<Name> {
    return new ProductionEnsemble<Name>(loadDirectorySync(dir, options));
  }

  /**
   * Builds an ensemble from models loaded one by one (they stay usable on their own and share
   * their native memory with the ensemble). `options.featureNames` (required) is the column
   * order of every row; the names must be distinct strings (`MetadataError` otherwise), and type
   * the keys of record rows.
   * @example
   * const model = ProductionEnsemble.fromModels({ lightgbm, xgboost, randomForest }, { featureNames: FEATURE_NAMES });
   */
  static fromModels<Name extends string>(
    models: EnsembleModels,
    options: FromModelsOptions<Name>,
  ): ProductionEnsemble<Name> {
    return new ProductionEnsemble<Name>(combine(models, options));
  }

  /**
   * The seed's health check: load the directory, score a probe row, check the model info.
   * Never throws: failures are reported as `{ status: 'unhealthy', error }`.
   * @example
   * const h = await ProductionEnsemble.healthCheck(); // { status: 'healthy', probe, elapsedMs, info, ... }
   */
  static async healthCheck(dir: string = defaultModelDirectory, options?: EnsembleLoadOptions): Promise<HealthReport> {
    const started = performance.now();
    let model: ProductionEnsemble | undefined;
    try {
      model = await ProductionEnsemble.load(dir, options);
      return await probe(model, started);
    } catch (e) {
      return unhealthy(e);
    } finally {
      model?.close();
    }
  }

  /** Number of features per row (12 for the production model). */
  get nFeatures(): number {
    return this.#scorer.last.info.nFeatures;
  }

  /** Feature names in column order; a frozen array. */
  get featureNames(): readonly Name[] {
    return this.#scorer.last.info.featureNames as Name[];
  }

  /** The weights in force; a frozen object. */
  get weights(): Readonly<EnsembleWeights> {
    return this.#scorer.last.weights;
  }

  /** The decision threshold `predict` uses. */
  get threshold(): number {
    return this.#scorer.last.threshold;
  }

  /**
   * The three models, usable on their own; a frozen object. Those loaded by `load` close with the
   * ensemble; those passed to `fromModels` stay the caller's to close.
   */
  get models(): Readonly<EnsembleModels> {
    return this.#scorer.last.models;
  }

  /** True after `close()`. */
  get closed(): boolean {
    return this.#scorer.closed;
  }

  /** P(up) per row: 0.4·LightGBM + 0.4·XGBoost + 0.2·RandomForest (the metadata's weights). */
  predictProba(x: MatrixInput<Name>): Float64Array {
    return this.#scorer.predict(x, 0).out;
  }

  /** Class labels (1 = up) at the decision threshold: `predictProba(x) >= threshold`. */
  predict(x: MatrixInput<Name>): Uint8Array {
    const g = this.#scorer.live;
    return labels(this.#scorer.predict(x, 0).out, g.threshold);
  }

  /**
   * `predictProba` on the libuv thread pool: the event loop stays free while it scores. A single
   * row is scored inline instead (it takes less time than the hop to the pool and back) and the
   * promise is already settled. The input is copied when the call is made: you may reuse, refill
   * or transfer its buffer at once (docs/threads.md).
   */
  async predictProbaAsync(x: MatrixInput<Name>): Promise<Float64Array> {
    return (await this.#scorer.predictAsync(x, 0)).out;
  }

  /** `predict` off the event loop, at the threshold in force when the call is made. */
  async predictAsync(x: MatrixInput<Name>): Promise<Uint8Array> {
    const g = this.#scorer.live;
    return labels((await this.#scorer.predictAsync(x, 0)).out, g.threshold);
  }

  /**
   * The split nodes the rows pass on their way to a leaf, summed over every tree of the three
   * models and every row: the work no exact scorer can avoid (the benchmarks' lower bound).
   * `null` when a booster is scored by its library (see `getModelInfo().models`).
   */
  nodesVisited(x: MatrixInput<Name>): number | null {
    return this.#scorer.nodesVisited(x);
  }

  /** Each model's P(up) and the ensemble's, in one native call (for diagnosis and A/B checks). */
  predictModels(x: MatrixInput<Name>): ModelProbabilities {
    return split(this.#scorer.predict(x, 0, true));
  }

  /** `predictModels` off the event loop; the input is copied when the call is made. */
  async predictModelsAsync(x: MatrixInput<Name>): Promise<ModelProbabilities> {
    return split(await this.#scorer.predictAsync(x, 0, true));
  }

  /**
   * P(up) of one row: the latency path (one thread, no allocation for typed-array and array
   * rows). `row`: nFeatures numbers, or a record keyed by feature name.
   */
  predictOne(row: RowInput<Name>): number {
    return this.#scorer.predictOne(row);
  }

  /** The seed's get_model_info(), in JS casing, plus the library versions actually loaded. */
  getModelInfo(): ModelInfo {
    return modelInfo(this.#scorer.live);
  }

  /**
   * The seed's health check on this loaded model: scores a random probe row through the batch
   * and single-row paths and checks the model info. Never throws.
   */
  async healthCheck(): Promise<HealthReport> {
    try {
      return await probe(this, performance.now());
    } catch (e) {
      return unhealthy(e);
    }
  }

  /**
   * Frees the ensemble and the models it loaded. Idempotent; later calls throw `ClosedError`.
   * Async calls already running finish first.
   */
  close(): void {
    this.#scorer.close();
  }

  /** Same as `close()`, for `using model = ...`. */
  [Symbol.dispose](): void {
    this.close();
  }
}

function labels(p: Float64Array, threshold: number): Uint8Array {
  const out = new Uint8Array(p.length);
  for (let i = 0; i < p.length; i++) out[i] = (p[i] as number) >= threshold ? 1 : 0;
  return out;
}
