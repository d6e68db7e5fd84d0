/**
 * The scorer stage as a pluggable unit: feature rows in, each model's P(up) and the ensemble's
 * out, asynchronously (the event loop keeps reading and writing meanwhile). The pipeline measures
 * its busy time on its own, so a run says whether scoring or the rest bounds it.
 */
import type { ProductionEnsemble } from '../ensemble.js';

/** Each model's P(up) and the ensemble's, one value per row. */
export interface Scores {
  lightgbm: Float64Array;
  xgboost: Float64Array;
  randomForest: Float64Array;
  ensemble: Float64Array;
}

/** Scores feature rows; `score` may be called again before an earlier call settles. */
export interface Scorer {
  /** Features per row. */
  readonly nFeatures: number;
  readonly featureNames: readonly string[];
  /** P(up) at or above it is label 1. */
  readonly threshold: number;
  /** `rows` rows of `features` (row-major, rows × nFeatures). */
  score(features: Float64Array, rows: number): Promise<Scores>;
}

/** The production ensemble as the scorer: one native async call per block. */
export function ensembleScorer(model: ProductionEnsemble): Scorer {
  return {
    nFeatures: model.nFeatures,
    featureNames: model.featureNames,
    threshold: model.threshold,
    score: (features, rows) => model.predictModelsAsync(features.subarray(0, rows * model.nFeatures)),
  };
}
