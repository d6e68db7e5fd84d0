/** production-ensemble: score a LightGBM + XGBoost + RandomForest ensemble from Node.js. */
export {
  ProductionEnsemble,
  defaultModelDirectory,
  type EnsembleLoadOptions,
  type EnsembleWeights,
  type HealthReport,
  type ModelInfo,
  type ModelProbabilities,
} from './ensemble.js';
export {
  FEATURE_NAMES,
  TechnicalFeatures,
  WARMUP_BARS,
  computeFeatures,
  type Candle,
  type CandleColumns,
  type FeatureBatch,
  type FeatureOptions,
  type WarmupPolicy,
} from './features.js';
export {
  scoreBatches,
  scoreTable,
  type ScoreBatches,
  type ScoreTableOptions,
} from './pipeline/pipeline.js';
export type { ScoredBatch } from './pipeline/batch.js';
export type { ScoreSummary } from './pipeline/summary.js';
export type { TimeUnit } from './pipeline/reader.js';
export type { Scorer, Scores } from './pipeline/scorer.js';
export { LightGBMModel, RandomForestModel, XGBoostModel, type ModelLoadOptions, type ModelSource } from './models.js';
export type { Cell, FeatureRecord, MatrixInput, RowInput } from './validate.js';
export {
  ClosedError,
  EnsembleError,
  FeatureMismatchError,
  InvalidInputError,
  LibraryCallError,
  LibraryLoadError,
  MetadataError,
  ModelFormatError,
  ModelNotFoundError,
  UnsafePickleError,
} from './errors.js';
