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
