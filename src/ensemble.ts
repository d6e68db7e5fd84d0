/**
 * ProductionEnsemble: the bot's model, P(up) = 0.4·LightGBM + 0.4·XGBoost + 0.2·RandomForest,
 * loaded from a model directory (docs/metadata.md) and scored in one native call per batch.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Binding, binding, packageRoot } from './binding.js';
import type { ErrorCode } from './error-codes.js';
import { ClosedError, EnsembleError, MetadataError, withCallerStack } from './errors.js';
import { type DriftOptions, type DriftReference, DriftMonitor, driftReferenceOf } from './drift.js';
import { type EnsembleExplanation, explainEnsemble, explainEnsembleAsync } from './explain.js';
import type { FeatureName } from './features.js';
import { INLINE_ROWS, LightGBMModel, type ModelLoadOptions, RandomForestModel, XGBoostModel, checkThreads, deepFreeze, nativeOptions } from './models.js';
import { type MatrixInput, type RowInput, toMatrix, toRow } from './validate.js';

/**
 * The weight of each model in P(up).
 * @example
 * const weights: EnsembleWeights = { lightgbm: 0.4, xgboost: 0.4, random_forest: 0.2 };
 */
export interface EnsembleWeights {
  lightgbm: number;
  xgboost: number;
  random_forest: number;
}

/**
 * Options of {@link ProductionEnsemble.load}.
 * @example
 * await ProductionEnsemble.load(dir, { threshold: 0.55, verifyChecksums: true });
 */
export interface EnsembleLoadOptions extends ModelLoadOptions {
  /**
   * Overrides the metadata's `model_weights`. The metadata's rules apply: each finite and >= 0,
   * the sum 1 within 1e-6 (else `ERR_INVALID_ARGUMENT`), so P(up) stays a probability.
   */
  weights?: EnsembleWeights;
  /** Overrides the metadata's `decision_threshold` (used by `predict`). */
  threshold?: number;
  /** Check each model file against the metadata's sha256 (default true). */
  verifyChecksums?: boolean;
}

/**
 * Per-model probabilities of a batch, each one value per row.
 * @example
 * const { lightgbm, xgboost, randomForest, ensemble } = model.predictModels(rows);
 */
export interface ModelProbabilities {
  lightgbm: Float64Array;
  xgboost: Float64Array;
  randomForest: Float64Array;
  /** The weighted combination, as `predictProba` returns it. */
  ensemble: Float64Array;
}

/**
 * What {@link ProductionEnsemble.getModelInfo} reports (the seed's get_model_info, in JS casing).
 * @example
 * const { versions, weights, featureNames } = model.getModelInfo();
 */
export interface ModelInfo {
  type: 'ProductionEnsemble';
  nFeatures: number;
  featureNames: string[];
  individualModels: ['lightgbm', 'xgboost', 'random_forest'];
  weights: EnsembleWeights;
  threshold: number;
  /** Versions of the libraries actually loaded, and of this package. */
  versions: { lightgbm: string; xgboost: string; productionEnsemble: string; node: string };
  /** Paths of the libraries actually loaded. */
  libraries: { lightgbm: string; xgboost: string };
  /** Library versions the models were trained with (from the metadata). */
  trainingVersions: Record<string, string>;
  models: {
    /** `scorer`: `'engine'` (the package's tree engine, checked against the library at load) or `'library'`; `scorerNote` says why not the engine. */
    lightgbm: { numTrees: number; objective: string; scorer: 'engine' | 'library'; scorerNote: string; file?: string; sha256?: string };
    xgboost: { numTrees: number; objective: string; scorer: 'engine' | 'library'; scorerNote: string; file?: string; sha256?: string };
    randomForest: { numTrees: number; numNodes: number; allowsNaN: boolean; file?: string; sha256?: string };
  };
  /** The model directory and metadata file, when loaded from a directory. */
  directory?: string;
  metadataFile?: string;
  legacyMetadata?: boolean;
  status?: string;
  createdAt?: string;
  performanceMetrics?: Record<string, unknown>;
}

/**
 * The seed's health-check result.
 * @example
 * const h = await ProductionEnsemble.healthCheck(dir);
 * if (h.status === 'unhealthy') console.error(h.errorCode, h.error);
 */
export interface HealthReport {
  status: 'healthy' | 'unhealthy';
  timestamp: string;
  /** Present when unhealthy: what went wrong. */
  error?: string;
  /** Present when unhealthy because of one of the package's errors: its code. */
  errorCode?: ErrorCode;
  /** Present when healthy: the probe row's P(up) and how long the check took. */
  probe?: number;
  elapsedMs?: number;
  info?: ModelInfo;
}

/**
 * The bundled default model directory (models/production inside the package).
 * @example
 * const model = await ProductionEnsemble.load(defaultModelDirectory); // same as load()
 */
export const defaultModelDirectory = join(packageRoot, 'models', 'production');

let version: string | undefined;
function packageVersion(): string {
  // Read lazily so that importing the package does no I/O.
  version ??= (JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;
  return version;
}

// Only the shape is checked here; the rules (finite, >= 0, sum 1) are the core's, the same for the
// metadata, these options and the C++ API.
function checkWeights(w: EnsembleWeights): EnsembleWeights {
  if (typeof w !== 'object' || w === null) throw new TypeError('weights must be an object {lightgbm, xgboost, random_forest}');
  for (const k of ['lightgbm', 'xgboost', 'random_forest'] as const) {
    if (typeof w[k] !== 'number') throw new TypeError(`weights.${k} must be a number, got ${typeof w[k]}`);
  }
  return { lightgbm: w.lightgbm, xgboost: w.xgboost, random_forest: w.random_forest };
}

function checkThreshold(t: number): number {
  if (typeof t !== 'number' || !(t >= 0 && t <= 1)) throw new RangeError(`threshold must be a number in [0, 1], got ${t}`);
  return t;
}

interface DirectoryFacts {
  dir: string;
  metadataPath: string;
  metadata: Binding.DirectoryMetadata;
  legacy: boolean;
  files: Binding.LoadedDirectory['files'];
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
  readonly #native: Binding.Ensemble;
  readonly #featureNames: Name[];
  readonly #weights: EnsembleWeights;
  readonly #threshold: number;
  readonly #models: { lightgbm: LightGBMModel; xgboost: XGBoostModel; randomForest: RandomForestModel };
  readonly #directory: DirectoryFacts | undefined;
  readonly #ownsModels: boolean;
  readonly #scratch: Float64Array;
  readonly #rowOut = new Float64Array(1);
  #drift: DriftMonitor | undefined;
  #closed = false;

  private constructor(
    native: Binding.Ensemble,
    models: { lightgbm: LightGBMModel; xgboost: XGBoostModel; randomForest: RandomForestModel },
    threshold: number,
    ownsModels: boolean,
    directory?: DirectoryFacts,
  ) {
    // Frozen: the feature names route record rows to columns, and the getters hand these out.
    const info = deepFreeze(native.info());
    this.#native = native;
    this.#featureNames = info.featureNames as Name[];
    this.#weights = info.weights;
    this.#threshold = threshold;
    this.#models = Object.freeze({ ...models });
    this.#directory = directory;
    this.#ownsModels = ownsModels;
    this.#scratch = new Float64Array(info.nFeatures);
  }

  static #fromDirectory<Name extends string>(loaded: Binding.LoadedDirectory, dir: string): ProductionEnsemble<Name> {
    const m = loaded.ensemble.models();
    const models = {
      lightgbm: LightGBMModel.fromNative(m.lightgbm),
      xgboost: XGBoostModel.fromNative(m.xgboost),
      randomForest: RandomForestModel.fromNative(m.forest),
    };
    return new ProductionEnsemble<Name>(loaded.ensemble, models, loaded.threshold, true, {
      dir,
      metadataPath: loaded.metadataPath,
      metadata: deepFreeze(loaded.metadata),
      legacy: loaded.legacyMetadata,
      files: loaded.files,
    });
  }

  static #options(options: EnsembleLoadOptions | undefined): Binding.DirectoryOptions {
    const out: Binding.DirectoryOptions = nativeOptions(options);
    if (options?.weights !== undefined) out.weights = checkWeights(options.weights);
    if (options?.threshold !== undefined) out.threshold = checkThreshold(options.threshold);
    if (options?.verifyChecksums !== undefined) out.verifyChecksums = options.verifyChecksums;
    return out;
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
      const loaded = await binding().addon.loadModelDirectory(dir, ProductionEnsemble.#options(options), true);
      return ProductionEnsemble.#fromDirectory<Name>(loaded, dir);
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
    return ProductionEnsemble.#fromDirectory<Name>(binding().addon.loadModelDirectory(dir, ProductionEnsemble.#options(options), false), dir);
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
    models: { lightgbm: LightGBMModel; xgboost: XGBoostModel; randomForest: RandomForestModel },
    options: { featureNames: readonly Name[]; weights?: EnsembleWeights; threshold?: number; threads?: number },
  ): ProductionEnsemble<Name> {
    checkModels(models);
    checkFeatureNames(options);
    const weights = checkWeights(options.weights ?? { lightgbm: 0.4, xgboost: 0.4, random_forest: 0.2 });
    const threshold = checkThreshold(options.threshold ?? 0.5);
    checkThreads(options.threads);
    const native = binding().addon.makeEnsemble(
      models.lightgbm.native as Binding.LightGBMBooster,
      models.xgboost.native as Binding.XGBoostBooster,
      models.randomForest.native as Binding.Forest,
      { featureNames: [...options.featureNames], weights, threads: options.threads ?? 0 },
    );
    return new ProductionEnsemble<Name>(native, models, threshold, false);
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
      return await model.#health(started);
    } catch (e) {
      return unhealthy(e);
    } finally {
      model?.close();
    }
  }

  get #live(): Binding.Ensemble {
    if (this.#closed) throw new ClosedError('ProductionEnsemble is closed');
    return this.#native;
  }

  /** Number of features per row (12 for the production model). */
  get nFeatures(): number {
    return this.#featureNames.length;
  }

  /** Feature names in column order; a frozen array. */
  get featureNames(): readonly Name[] {
    return this.#featureNames;
  }

  /** The weights in force; a frozen object. */
  get weights(): Readonly<EnsembleWeights> {
    return this.#weights;
  }

  /** The decision threshold `predict` uses. */
  get threshold(): number {
    return this.#threshold;
  }

  /**
   * The three models, usable on their own. Those loaded by `load` close with the ensemble; those
   * passed to `fromModels` stay the caller's to close.
   */
  get models(): { readonly lightgbm: LightGBMModel; readonly xgboost: XGBoostModel; readonly randomForest: RandomForestModel } {
    return this.#models;
  }

  /** True after `close()`. */
  get closed(): boolean {
    return this.#closed;
  }

  /** P(up) per row: 0.4·LightGBM + 0.4·XGBoost + 0.2·RandomForest (the metadata's weights). */
  predictProba(x: MatrixInput<Name>): Float64Array {
    if (this.#drift) return this.predictModels(x).ensemble; // the monitor needs every model's score
    const native = this.#live;
    const m = toMatrix(x, this.nFeatures, this.#featureNames);
    const out = new Float64Array(m.rows);
    if (m.rows > 0) native.predict(m.data, m.rows, 0, out);
    return out;
  }

  /** Class labels (1 = up) at the decision threshold: `predictProba(x) >= threshold`. */
  predict(x: MatrixInput<Name>): Uint8Array {
    return this.#labels(this.predictProba(x));
  }

  /**
   * `predictProba` on the libuv thread pool: the event loop stays free while it scores. A single
   * row is scored inline instead (it takes less time than the hop to the pool and back) and the
   * promise is already settled. The input is copied when the call is made: you may reuse, refill
   * or transfer its buffer at once (docs/threads.md).
   */
  async predictProbaAsync(x: MatrixInput<Name>): Promise<Float64Array> {
    if (this.#drift) return (await this.predictModelsAsync(x)).ensemble;
    const callSite = new Error();
    const native = this.#live;
    const m = toMatrix(x, this.nFeatures, this.#featureNames);
    const out = new Float64Array(m.rows);
    if (m.rows === 0) return out;
    try {
      if (m.rows <= INLINE_ROWS) native.predict(m.data, m.rows, 0, out);
      else await native.predictAsync(m.data, m.rows, 0, out);
    } catch (e) {
      throw withCallerStack(e, callSite);
    }
    return out;
  }

  /** `predict` off the event loop. */
  async predictAsync(x: MatrixInput<Name>): Promise<Uint8Array> {
    return this.#labels(await this.predictProbaAsync(x));
  }

  /**
   * The split nodes the rows pass on their way to a leaf, summed over every tree of the three
   * models and every row: the work no exact scorer can avoid (the benchmarks' lower bound).
   * `null` when a booster is scored by its library (see `getModelInfo().models`).
   */
  nodesVisited(x: MatrixInput<Name>): number | null {
    const native = this.#live;
    const m = toMatrix(x, this.nFeatures, this.#featureNames);
    const data = m.data instanceof Float64Array ? m.data : Float64Array.from(m.data);
    return native.nodesVisited(data, m.rows);
  }

  /** Each model's P(up) and the ensemble's, in one native call (for diagnosis and A/B checks). */
  predictModels(x: MatrixInput<Name>): ModelProbabilities {
    const native = this.#live;
    const m = toMatrix(x, this.nFeatures, this.#featureNames);
    const ensemble = new Float64Array(m.rows);
    const parts = new Float64Array(m.rows * 3);
    if (m.rows > 0) native.predict(m.data, m.rows, 0, ensemble, parts);
    const result = splitParts(parts, ensemble, m.rows);
    const drift = this.#drift;
    if (drift && m.rows > 0) {
      drift.observeFeatures(m.data, m.rows);
      drift.observeScores(result);
      drift.check();
    }
    return result;
  }

  /** `predictModels` off the event loop; the input is copied when the call is made. */
  async predictModelsAsync(x: MatrixInput<Name>): Promise<ModelProbabilities> {
    const callSite = new Error();
    const native = this.#live;
    const m = toMatrix(x, this.nFeatures, this.#featureNames);
    const ensemble = new Float64Array(m.rows);
    const parts = new Float64Array(m.rows * 3);
    // The monitor sees the rows as they were when the call was made (the caller may refill its
    // buffer at once), and only once they are scored: a copy of the last rows, as many as its
    // window holds (copying a whole large batch cost more than the monitor's own work).
    const drift = this.#drift;
    const kept = drift ? Math.min(m.rows, drift.options.window) : m.rows;
    const rows = drift && m.rows > INLINE_ROWS ? m.data.slice((m.rows - kept) * this.nFeatures, m.rows * this.nFeatures) : m.data;
    if (m.rows > 0) {
      try {
        if (m.rows <= INLINE_ROWS) native.predict(m.data, m.rows, 0, ensemble, parts);
        else await native.predictAsync(m.data, m.rows, 0, ensemble, parts);
      } catch (e) {
        throw withCallerStack(e, callSite);
      }
    }
    const result = splitParts(parts, ensemble, m.rows);
    if (drift && m.rows > 0 && this.#drift === drift) {
      if (rows === m.data) drift.observeFeatures(rows, m.rows);
      else drift.observeFeatures(rows, kept, m.rows - kept);
      drift.observeScores(result);
      drift.check();
    }
    return result;
  }

  /**
   * The drift reference of the model directory's metadata (docs/metadata.md#drift_reference),
   * or undefined (an older directory, or an ensemble built with fromModels).
   */
  get driftReference(): DriftReference | undefined {
    return driftReferenceOf(this.#directory?.metadata);
  }

  /** The drift monitor the ensemble feeds (monitorDrift), if any. */
  get driftMonitor(): DriftMonitor | undefined {
    return this.#drift;
  }

  /**
   * Starts drift monitoring (docs/drift.md): from now on every batch call (predictProba, predict,
   * predictModels and their async forms; not predictOne) adds its rows and each model's scores
   * to the monitor's sliding windows, compared with the directory's drift reference (or
   * `options.reference`). Replaces a monitor already running. Throws MetadataError when there is
   * no reference.
   * @example
   * const monitor = ensemble.monitorDrift({ window: 5000 });
   * monitor.on('drift', (e) => alert(`${e.column.name} drifted: PSI ${e.column.psi.toFixed(2)}`));
   */
  monitorDrift(options: DriftOptions & { reference?: DriftReference } = {}): DriftMonitor {
    this.#live;
    const { reference, ...rest } = options;
    const ref = reference ?? this.driftReference;
    if (!ref) {
      throw new MetadataError(
        `${this.#directory?.metadataPath ?? 'this ensemble'} has no drift_reference: retrain with tools/train_models.py, migrate with --reference, or pass options.reference`,
      );
    }
    const names = ref.features.map((h) => h.name);
    if (names.length !== this.nFeatures || names.some((n, j) => n !== this.#featureNames[j])) {
      throw new MetadataError(`the drift reference's features (${names.join(', ')}) are not the ensemble's (${this.#featureNames.join(', ')})`);
    }
    this.#drift = new DriftMonitor(ref, rest);
    return this.#drift;
  }

  /** Stops drift monitoring (the monitor keeps what it saw). */
  stopDriftMonitor(): void {
    this.#drift = undefined;
  }

  /**
   * Why the ensemble says what it says (docs/explain.md): per row, each feature's contribution to
   * P(up) and the expected value, adding up to P(up) within 1e-9. Each model's exact TreeSHAP
   * contributions (boosters' margins mapped to probability by the rescale rule) weighted as P(up)
   * is; `models` has each model's part. Throws `NotExplainableError` naming the model that
   * cannot be explained (e.g. a forest file of format 1.0).
   * @example
   * const e = ensemble.explain([latest]);
   * e.ranked(0).slice(0, 3); // the three features that moved P(up) most
   */
  explain(x: MatrixInput<Name>): EnsembleExplanation<Name> {
    const native = this.#live;
    return explainEnsemble(native, toMatrix(x, this.nFeatures, this.#featureNames), this.#featureNames, this.#weights);
  }

  /** `explain` on the libuv thread pool; the input is copied when the call is made. */
  explainAsync(x: MatrixInput<Name>): Promise<EnsembleExplanation<Name>> {
    const native = this.#live;
    return explainEnsembleAsync(native, toMatrix(x, this.nFeatures, this.#featureNames), this.#featureNames, this.#weights);
  }

  /**
   * P(up) of one row: the latency path (one thread, no allocation for typed-array and array
   * rows). `row`: nFeatures numbers, or a record keyed by feature name.
   */
  predictOne(row: RowInput<Name>): number {
    const native = this.#live;
    native.predictRow(toRow(row, this.nFeatures, this.#featureNames, this.#scratch), 0, this.#rowOut);
    return this.#rowOut[0] as number;
  }

  /** The seed's get_model_info(), plus the library versions actually loaded. */
  getModelInfo(): ModelInfo {
    this.#live;
    const lgb = this.#models.lightgbm;
    const xgb = this.#models.xgboost;
    const rf = this.#models.randomForest;
    const files = new Map((this.#directory?.files ?? []).map((f) => [f.role, f]));
    const meta = this.#directory?.metadata;
    const info: ModelInfo = {
      type: 'ProductionEnsemble',
      nFeatures: this.nFeatures,
      featureNames: [...this.#featureNames],
      individualModels: ['lightgbm', 'xgboost', 'random_forest'],
      weights: { ...this.#weights },
      threshold: this.#threshold,
      versions: {
        lightgbm: lgb.library.version,
        xgboost: xgb.library.version,
        productionEnsemble: packageVersion(),
        node: process.versions.node,
      },
      libraries: { lightgbm: lgb.library.path, xgboost: xgb.library.path },
      trainingVersions: { ...meta?.trainingVersions },
      models: {
        lightgbm: { numTrees: lgb.numTrees, objective: lgb.objective, scorer: lgb.scorer, scorerNote: lgb.scorerNote, ...fileFacts(files.get('lightgbm')) },
        xgboost: { numTrees: xgb.numTrees, objective: xgb.objective, scorer: xgb.scorer, scorerNote: xgb.scorerNote, ...fileFacts(files.get('xgboost')) },
        randomForest: { numTrees: rf.numTrees, numNodes: rf.info.numNodes, allowsNaN: rf.allowsNaN, ...fileFacts(files.get('random_forest')) },
      },
    };
    if (this.#directory) {
      info.directory = this.#directory.dir;
      info.metadataFile = this.#directory.metadataPath;
      info.legacyMetadata = this.#directory.legacy;
      if (meta?.status !== undefined) info.status = meta.status;
      if (meta?.createdAt !== undefined) info.createdAt = meta.createdAt;
      if (meta?.performanceMetrics !== undefined) info.performanceMetrics = meta.performanceMetrics;
    }
    return info;
  }

  /**
   * The seed's health check on this loaded model: scores a random probe row through the batch
   * and single-row paths and checks the model info. Never throws.
   */
  async healthCheck(): Promise<HealthReport> {
    try {
      return await this.#health(performance.now());
    } catch (e) {
      return unhealthy(e);
    }
  }

  async #health(started: number): Promise<HealthReport> {
    const probe = Float64Array.from({ length: this.nFeatures }, () => Math.random());
    const batch = (await this.predictProbaAsync(probe))[0] as number;
    const one = this.predictOne(probe);
    const info = this.getModelInfo();
    if (!(batch >= 0 && batch <= 1)) throw new Error(`probe P(up) ${batch} is not a probability`);
    if (Math.abs(batch - one) > 1e-9) throw new Error(`batch (${batch}) and single-row (${one}) scores of the probe differ`);
    if (info.individualModels.length !== 3) throw new Error('expected 3 individual models');
    return {
      status: 'healthy',
      timestamp: new Date().toISOString(),
      probe: batch,
      elapsedMs: performance.now() - started,
      info,
    };
  }

  #labels(p: Float64Array): Uint8Array {
    const out = new Uint8Array(p.length);
    const t = this.#threshold;
    for (let i = 0; i < p.length; i++) out[i] = (p[i] as number) >= t ? 1 : 0;
    return out;
  }

  /**
   * Frees the ensemble and its three models. Idempotent; later calls throw `ClosedError`.
   * Async calls already running finish first.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#native.close();
    if (this.#ownsModels) {
      this.#models.lightgbm.close();
      this.#models.xgboost.close();
      this.#models.randomForest.close();
    }
  }

  /** Same as `close()`, for `using model = ...`. */
  [Symbol.dispose](): void {
    this.close();
  }
}

function checkModels(models: unknown): void {
  const m = models as Record<string, unknown> | null;
  if (m === null || typeof m !== 'object') {
    throw new TypeError('fromModels needs the models: { lightgbm: LightGBMModel, xgboost: XGBoostModel, randomForest: RandomForestModel }');
  }
  for (const [key, Cls] of [['lightgbm', LightGBMModel], ['xgboost', XGBoostModel], ['randomForest', RandomForestModel]] as const) {
    if (!(m[key] instanceof Cls)) throw new TypeError(`fromModels: models.${key} must be a ${Cls.name}`);
  }
}

function checkFeatureNames(options: unknown): void {
  if (options === null || typeof options !== 'object') {
    throw new TypeError('fromModels needs options with featureNames: the column order of every row, e.g. { featureNames: FEATURE_NAMES }');
  }
  const names = (options as { featureNames?: unknown }).featureNames;
  if (!Array.isArray(names) || names.some((n) => typeof n !== 'string' || n === '')) {
    throw new TypeError('fromModels: options.featureNames must be an array of non-empty strings');
  }
  const seen = new Set<string>();
  for (const n of names as string[]) {
    if (seen.has(n)) throw new MetadataError(`fromModels: options.featureNames lists '${n}' twice`);
    seen.add(n);
  }
}

function fileFacts(f: { path: string; sha256: string } | undefined): { file?: string; sha256?: string } {
  return f ? { file: f.path, sha256: f.sha256 } : {};
}

function splitParts(parts: Float64Array, ensemble: Float64Array, rows: number): ModelProbabilities {
  return {
    lightgbm: parts.subarray(0, rows),
    xgboost: parts.subarray(rows, 2 * rows),
    randomForest: parts.subarray(2 * rows, 3 * rows),
    ensemble,
  };
}

function unhealthy(e: unknown): HealthReport {
  const report: HealthReport = {
    status: 'unhealthy',
    timestamp: new Date().toISOString(),
    error: e instanceof Error ? e.message : String(e),
  };
  if (e instanceof EnsembleError) report.errorCode = e.code;
  return report;
}

