/**
 * The ensemble's public shapes: its weights and load options, the per-model probabilities, what
 * `getModelInfo` and the health check report. Keys are camelCase in every JS object
 * (`randomForest`); the metadata file keeps its own snake_case (`random_forest`, docs/metadata.md).
 */
import type { LightGBMModel, XGBoostModel } from './boosters.js';
import type { ErrorCode } from './error-codes.js';
import type { ModelLoadOptions } from './load-options.js';
import type { RandomForestModel } from './random-forest.js';

/**
 * The weight of each model in P(up) (the metadata's `model_weights`, in JS casing).
 * @example
 * const weights: EnsembleWeights = { lightgbm: 0.4, xgboost: 0.4, randomForest: 0.2 };
 */
export interface EnsembleWeights {
  lightgbm: number;
  xgboost: number;
  randomForest: number;
}

/**
 * The three models of an ensemble.
 * @example
 * const { lightgbm, xgboost, randomForest }: EnsembleModels = model.models;
 */
export interface EnsembleModels {
  lightgbm: LightGBMModel;
  xgboost: XGBoostModel;
  randomForest: RandomForestModel;
}

/**
 * How `watch` follows a model directory or store (docs/serving.md#watch-mode).
 * @example
 * await ProductionEnsemble.load('models', { watch: { debounceMs: 500 }, onReload: (r) => log(r) });
 */
export interface WatchOptions {
  /** Quiet time after the last change before anything is checked (default 250 ms). */
  debounceMs?: number;
  /** The poll that backs fs.watch up (network filesystems, missed events), in ms (default 2000). */
  pollMs?: number;
}

/**
 * What a reload did: returned by `reload()`, passed to `onReload` listeners, and the last one
 * kept in `getModelInfo().reloads.last`.
 * @example
 * model.onReload((r) => { if (!r.ok) alert(`reload failed [${r.errorCode}]: ${r.error}`); });
 */
export interface ReloadOutcome {
  ok: boolean;
  /** What started it: a `reload()` call, or watch mode. */
  trigger: 'reload' | 'watch';
  /** When it ended (ISO 8601). */
  at: string;
  durationMs: number;
  /** The model directory loaded, or that failed. */
  directory: string;
  /** ok: the version now serving, and the one it replaced. */
  version?: string;
  previousVersion?: string;
  /** Failed: why (the old version keeps serving), and the error's code when it is the package's. */
  error?: string;
  errorCode?: ErrorCode;
}

/**
 * Options of {@link ProductionEnsemble.reload}: load options (the load's own are kept unless
 * given again) and a check of your own.
 * @example
 * await model.reload('models/v2', { selfCheck: (c) => { if (c.predictOne(knownRow) < 0.2) throw new Error('too low'); } });
 */
export type ReloadOptions = Omit<EnsembleLoadOptions, 'watch' | 'onReload'>;

/**
 * The new version as the reload's check sees it, before it serves (rows as `predictProba` takes).
 * @example
 * const selfCheck = (c: ReloadCandidate) => { if (Math.abs(c.predictOne(knownRow) - 0.53) > 0.1) throw new Error('drifted'); };
 */
export interface ReloadCandidate {
  readonly version: string | undefined;
  readonly directory: string;
  readonly featureNames: readonly string[];
  predictProba(x: Float64Array | Float32Array | readonly (readonly (number | null | undefined)[])[]): Float64Array;
  predictOne(row: Float64Array | Float32Array | readonly (number | null | undefined)[]): number;
}

/**
 * Options of {@link ProductionEnsemble.load}.
 * @example
 * await ProductionEnsemble.load(dir, { threshold: 0.55, verifyChecksums: true });
 */
export interface EnsembleLoadOptions extends ModelLoadOptions {
  /**
   * Reload when the directory changes, or when a store's `current` names another version:
   * debounced, and only once the new files match their checksums (docs/serving.md#watch-mode).
   * Failures are reported to `onReload`; the old version keeps serving.
   */
  watch?: boolean | WatchOptions;
  /** Called after every reload, by `reload()` or watch mode, ok or not. */
  onReload?: (outcome: ReloadOutcome) => void;
  /**
   * Run on a reloaded version before it is swapped in (after the built-in checks: same features,
   * probe rows scored to probabilities the same way by the batch and single-row paths). Throw
   * (or reject) to refuse it: the reload fails with `SelfCheckError`.
   */
  selfCheck?: (candidate: ReloadCandidate) => void | Promise<void>;
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
 * Options of {@link ProductionEnsemble.fromModels}.
 * @example
 * ProductionEnsemble.fromModels({ lightgbm, xgboost, randomForest }, { featureNames: FEATURE_NAMES, threshold: 0.55 });
 */
export interface FromModelsOptions<Name extends string = string> {
  /** The column order of every row: distinct, non-empty names; they type the keys of record rows. */
  featureNames: readonly Name[];
  /** The weights (default 0.4 / 0.4 / 0.2), under the same rules as the metadata's. */
  weights?: EnsembleWeights;
  /** The decision threshold `predict` uses (default 0.5). */
  threshold?: number;
  /** Threads for batch scoring, as {@link ModelLoadOptions.threads}. */
  threads?: number;
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
  /** The version that scored the batch (see `ProductionEnsemble.version`). */
  version?: string;
}

/**
 * What `getModelInfo` says of a booster of the ensemble.
 * @example
 * const { scorer, scorerNote }: BoosterFacts = model.getModelInfo().models.lightgbm;
 */
export interface BoosterFacts {
  numTrees: number;
  objective: string;
  /** `'engine'` (the package's tree engine, checked against the library at load) or `'library'`. */
  scorer: 'engine' | 'library';
  /** Why the library scores the model when the engine does not (empty when the engine does). */
  scorerNote: string;
  /** The model file and its sha256, when loaded from a directory. */
  file?: string;
  sha256?: string;
}

/**
 * What `getModelInfo` says of the ensemble's forest.
 * @example
 * const { numTrees, allowsNaN }: ForestFacts = model.getModelInfo().models.randomForest;
 */
export interface ForestFacts {
  numTrees: number;
  numNodes: number;
  allowsNaN: boolean;
  /** The model file and its sha256, when loaded from a directory. */
  file?: string;
  sha256?: string;
}

/**
 * What {@link ProductionEnsemble.getModelInfo} reports: the seed's get_model_info, in JS casing
 * (`n_features` is `nFeatures`, `individual_models` is `individualModels`, the weights' and the
 * models' `random_forest` is `randomForest`), plus what was actually loaded.
 * @example
 * const { versions, weights, featureNames } = model.getModelInfo();
 */
export interface ModelInfo {
  type: 'ProductionEnsemble';
  nFeatures: number;
  featureNames: string[];
  /** The members, in the order their weights apply: the keys of `weights` and `models`. */
  individualModels: ['lightgbm', 'xgboost', 'randomForest'];
  weights: EnsembleWeights;
  threshold: number;
  /** Versions of the libraries actually loaded, and of this package. */
  versions: { lightgbm: string; xgboost: string; productionEnsemble: string; node: string };
  /** Paths of the libraries actually loaded. */
  libraries: { lightgbm: string; xgboost: string };
  /** Library versions the models were trained with (from the metadata). */
  trainingVersions: Record<string, string>;
  models: { lightgbm: BoosterFacts; xgboost: BoosterFacts; randomForest: ForestFacts };
  /** The model directory and metadata file, when loaded from a directory. */
  directory?: string;
  metadataFile?: string;
  legacyMetadata?: boolean;
  status?: string;
  createdAt?: string;
  performanceMetrics?: Record<string, unknown>;
  /**
   * The version serving: its name in a model store, else `sha256:` + 12 hex digits of its files'
   * checksums, weights and threshold; absent for `fromModels`.
   */
  version?: string;
  /** The model store it was loaded through. */
  store?: string;
  /** Since when this version has been serving (ISO 8601): the load, or the reload that swapped it in. */
  servingSince: string;
  /** Reloads so far, and the last one's outcome. */
  reloads: { succeeded: number; failed: number; last?: ReloadOutcome };
  /** True while watch mode follows the directory or store. */
  watching: boolean;
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
