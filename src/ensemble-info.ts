/**
 * What an ensemble says about itself: `getModelInfo` (the seed's get_model_info, in JS casing,
 * plus what was actually loaded) and the seed's health check (a probe row through both paths).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from './binding.js';
import type { EnsembleGeneration } from './ensemble-load.js';
import type { HealthReport, ModelInfo } from './ensemble-types.js';
import { EnsembleError } from './errors.js';

let version: string | undefined;
function packageVersion(): string {
  // Read lazily so that importing the package does no I/O.
  version ??= (JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;
  return version;
}

function fileFacts(f: { path: string; sha256: string } | undefined): { file?: string; sha256?: string } {
  return f ? { file: f.path, sha256: f.sha256 } : {};
}

/** The model info of one generation; a fresh object whose metadata parts are frozen. */
export function modelInfo(g: EnsembleGeneration): ModelInfo {
  const { lightgbm: lgb, xgboost: xgb, randomForest: rf } = g.models;
  // The core names the forest's file by the metadata's key.
  const files = new Map((g.directory?.files ?? []).map((f) => [f.role, f]));
  const meta = g.directory?.metadata;
  const info: ModelInfo = {
    type: 'ProductionEnsemble',
    nFeatures: g.info.nFeatures,
    featureNames: [...g.info.featureNames],
    individualModels: ['lightgbm', 'xgboost', 'randomForest'],
    weights: { ...g.weights },
    threshold: g.threshold,
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
  if (g.directory) {
    info.directory = g.directory.dir;
    info.metadataFile = g.directory.metadataPath;
    info.legacyMetadata = g.directory.legacy;
    if (meta?.status !== undefined) info.status = meta.status;
    if (meta?.createdAt !== undefined) info.createdAt = meta.createdAt;
    if (meta?.performanceMetrics !== undefined) info.performanceMetrics = meta.performanceMetrics;
  }
  return info;
}

/** What the health check needs of an ensemble. */
export interface Probed {
  readonly nFeatures: number;
  predictProbaAsync(x: Float64Array): Promise<Float64Array>;
  predictOne(row: Float64Array): number;
  getModelInfo(): ModelInfo;
}

/**
 * The seed's checks on a loaded ensemble: a random probe row scored through the batch and the
 * single-row paths (a probability, the same from both), and the model info. Throws what failed.
 */
export async function probe(model: Probed, started: number): Promise<HealthReport> {
  const row = Float64Array.from({ length: model.nFeatures }, () => Math.random());
  const batch = (await model.predictProbaAsync(row))[0] as number;
  const one = model.predictOne(row);
  const info = model.getModelInfo();
  if (!(batch >= 0 && batch <= 1)) throw new Error(`probe P(up) ${batch} is not a probability`);
  if (Math.abs(batch - one) > 1e-9) throw new Error(`batch (${batch}) and single-row (${one}) scores of the probe differ`);
  if (info.individualModels.length !== 3) throw new Error('expected 3 individual models');
  return { status: 'healthy', timestamp: new Date().toISOString(), probe: batch, elapsedMs: performance.now() - started, info };
}

/** The report of a failed health check: never throws. */
export function unhealthy(e: unknown): HealthReport {
  const report: HealthReport = {
    status: 'unhealthy',
    timestamp: new Date().toISOString(),
    error: e instanceof Error ? e.message : String(e),
  };
  if (e instanceof EnsembleError) report.errorCode = e.code;
  return report;
}
