/** production-ensemble: score a LightGBM + XGBoost + RandomForest ensemble from Node.js. */
export { ProductionEnsemble, defaultModelDirectory } from './ensemble.js';
export type {
  BoosterFacts,
  EnsembleLoadOptions,
  EnsembleModels,
  EnsembleWeights,
  ForestFacts,
  FromModelsOptions,
  HealthReport,
  ModelInfo,
  ModelProbabilities,
  ReloadCandidate,
  ReloadOptions,
  ReloadOutcome,
  WatchOptions,
} from './ensemble-types.js';
export { ModelStore, type PromoteResult, type StoreVersion } from './model-store.js';
export {
  EnsembleSet,
  type EnsembleSetOptions,
  type SetBatchOptions,
  type SetBatchResult,
  type SetCallOptions,
  type SetMember,
  type SetStats,
} from './ensemble-set.js';
export type { LatencySummary, VersionStats } from './set-stats.js';
export { fnv1a32 } from './canary.js';
export { Metrics, enableMetrics, type MetricsOptions, type MetricsRegistry } from './metrics.js';
export {
  FEATURE_NAMES,
  TechnicalFeatures,
  WARMUP_BARS,
  computeFeatures,
  type Candle,
  type CandleColumns,
  type FeatureBatch,
  type FeatureName,
  type FeatureOptions,
  type WarmupPolicy,
} from './features.js';
export { ScoringModel } from './models.js';
export { BoosterModel, LightGBMModel, XGBoostModel } from './boosters.js';
export { RandomForestModel } from './random-forest.js';
export { MAX_THREADS, type ModelLoadOptions, type ModelSource } from './load-options.js';
export {
  DriftMonitor,
  type DriftEvent,
  type DriftGauge,
  type DriftHistogram,
  type DriftOptions,
  type DriftReference,
  type DriftReport,
  type DriftScores,
  type DriftStat,
} from './drift.js';
export { EnsembleExplanation, Explanation, type ExplanationSpace } from './explain.js';
export { type WaterfallOptions, waterfallSvg } from './explain-svg.js';
export type { BoosterInfo, ForestInfo, LibraryInfo, ModelDescription } from './model-types.js';
export { scoreBatches, scoreTable, type ScoreBatches } from './pipeline/pipeline.js';
export type { ScoreTableOptions, TimeUnit } from './pipeline/options.js';
export type { ScoredBatch } from './pipeline/batch.js';
export type { ScoreSummary } from './pipeline/summary.js';
export type { TableFormat } from './pipeline/source.js';
export type { Cell, FeatureRecord, MatrixInput, RowInput } from './validate.js';
export {
  ClosedError,
  EnsembleError,
  FeatureMismatchError,
  InternalError,
  InvalidArgumentError,
  InvalidInputError,
  InvalidInputFileError,
  LibraryCallError,
  LibraryLoadError,
  MetadataError,
  MigrateError,
  MissingDependencyError,
  ModelFormatError,
  ModelNotFoundError,
  ModelStoreError,
  NotExplainableError,
  OutOfMemoryError,
  OutputFileError,
  PythonNotFoundError,
  SelfCheckError,
  UnsafePickleError,
  type ErrorCode,
} from './errors.js';
