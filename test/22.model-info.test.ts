// getModelInfo (the seed's get_model_info), the health check, and ensembles built from models.
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { LightGBMModel, MetadataError, ProductionEnsemble, RandomForestModel, XGBoostModel } from '../dist/index.js';
import { fixtures, productionDir, readJson } from './helpers.js';

let model: ProductionEnsemble;
beforeAll(async () => {
  model = await ProductionEnsemble.load(productionDir);
});
afterAll(() => model.close());

it('getModelInfo keeps the seed contract and reports the libraries loaded', () => {
  const info = model.getModelInfo();
  const meta = readJson<Record<string, unknown>>(join(productionDir, 'production_model_metadata.json'));
  expect(info.type).toBe('ProductionEnsemble');
  expect(info.nFeatures).toBe(12);
  expect(info.featureNames).toEqual(meta.feature_names);
  expect(info.individualModels).toEqual(['lightgbm', 'xgboost', 'randomForest']);
  expect(info.weights).toEqual({ lightgbm: 0.4, xgboost: 0.4, randomForest: 0.2 });
  expect(info.versions.lightgbm).toBe('4.7.0');
  expect(info.versions.xgboost).toBe('3.2.0');
  expect(info.libraries.lightgbm).toMatch(/lib_lightgbm\.so$/);
  expect(info.trainingVersions).toEqual(meta.training_library_versions);
  expect(info.status).toBe('production_ready');
  expect(info.performanceMetrics).toEqual(meta.performance_metrics);
  expect(info.models.lightgbm.numTrees).toBe(300);
  expect(info.models.xgboost.numTrees).toBe(300);
  expect(info.models.randomForest.numTrees).toBe(100);
  const files = meta.model_files as Record<string, { sha256: string }>;
  expect(info.models.lightgbm.sha256).toBe(files.lightgbm?.sha256);
});

it('healthCheck reports healthy with a probe score', async () => {
  const h = await model.healthCheck();
  expect(h.status).toBe('healthy');
  expect(h.probe).toBeGreaterThan(0);
  expect(h.probe).toBeLessThan(1);
  expect(h.info?.nFeatures).toBe(12);
  const s = await ProductionEnsemble.healthCheck(productionDir);
  expect(s.status).toBe('healthy');
  const bad = await ProductionEnsemble.healthCheck(join(fixtures, 'no-such-dir'));
  expect(bad).toMatchObject({ status: 'unhealthy', errorCode: 'ERR_MODEL_NOT_FOUND' });
  expect(bad.error).toContain('no-such-dir');
});

it('fromModels builds the same ensemble from models loaded one by one', async () => {
  const lightgbm = await LightGBMModel.load(join(productionDir, 'lightgbm.txt'));
  const xgboost = await XGBoostModel.load(join(productionDir, 'xgboost.json'));
  const randomForest = await RandomForestModel.load(join(productionDir, 'random_forest.forest'));
  const e = ProductionEnsemble.fromModels({ lightgbm, xgboost, randomForest }, { featureNames: [...model.featureNames] });
  const x = new Float64Array(24).map((_, i) => i * 0.37);
  expect(e.predictProba(x)).toEqual(model.predictProba(x));
  e.close();
  expect(lightgbm.predictProba(x.subarray(0, 12))).toHaveLength(1); // still the caller's
  for (const m of [lightgbm, xgboost, randomForest]) m.close();
});

it('fromModels: weights that do not sum to 1 are refused by the core', async () => {
  const { lightgbm, xgboost, randomForest } = model.models;
  const make = (weights: { lightgbm: number; xgboost: number; randomForest: number }) =>
    ProductionEnsemble.fromModels({ lightgbm, xgboost, randomForest }, { featureNames: [...model.featureNames], weights });
  expect(() => make({ lightgbm: 3, xgboost: 3, randomForest: 1 })).toThrow(/weights sum to 7, not 1/);
  let code: unknown;
  try {
    make({ lightgbm: 0, xgboost: 0, randomForest: 0 });
  } catch (e) {
    code = (e as { code?: unknown }).code;
  }
  expect(code).toBe('ERR_INVALID_ARGUMENT');
  expect(() => make({ lightgbm: -1, xgboost: 1, randomForest: 1 })).toThrow(/weights\.lightgbm must be a finite number >= 0, got -1/);
});

it('a non-binary model in the ensemble is a clear error', async () => {
  const lightgbm = await LightGBMModel.load(join(fixtures, 'models', 'lgb_multiclass_softmax_5f', 'model.txt'));
  const xgboost = await XGBoostModel.load(join(fixtures, 'models', 'xgb_multi_softprob_5f', 'model.json'));
  const randomForest = await RandomForestModel.load(join(fixtures, 'models', 'rf_multiclass_4c_6f', 'model.forest'));
  expect(() => ProductionEnsemble.fromModels({ lightgbm, xgboost, randomForest }, { featureNames: ['a', 'b', 'c', 'd', 'e'] })).toThrow(MetadataError);
  expect(() => ProductionEnsemble.fromModels({ lightgbm, xgboost, randomForest }, { featureNames: ['a', 'b', 'c', 'd', 'e'] })).toThrow(
    /random forest model has 6 features|must be a binary classifier/,
  );
  for (const m of [lightgbm, xgboost, randomForest]) m.close();
});

it('the engine scores both boosters of the bundled ensemble, and the scorer option picks the library', async () => {
  const info = model.getModelInfo();
  expect(info.models.lightgbm.scorer, info.models.lightgbm.scorerNote).toBe('engine');
  expect(info.models.xgboost.scorer, info.models.xgboost.scorerNote).toBe('engine');
  const lib = await ProductionEnsemble.load(productionDir, { scorer: 'library' });
  try {
    expect(lib.getModelInfo().models.lightgbm.scorer).toBe('library');
    expect(lib.getModelInfo().models.xgboost.scorerNote).toMatch(/asked for/);
    const row = [[1.02, 3.5, 0.001, 55, 0.2, 0.1, 0.03, 0.4, 1.01, 1.0, 0.3, 1.2]];
    expect(lib.predictProba(row)).toEqual(model.predictProba(row));
    expect(lib.nodesVisited(row)).toBeNull();
  } finally {
    lib.close();
  }
  await expect(ProductionEnsemble.load(productionDir, { scorer: 'fast' as never })).rejects.toThrow(/scorer/);
});

it('nodesVisited: the ensemble sums its three models, a one-leaf model visits none', () => {
  const rows = [
    [1.02, 3.5, 0.001, 55, 0.2, 0.1, 0.03, 0.4, 1.01, 1.0, 0.3, 1.2],
    [Number.NaN, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
  ];
  const { lightgbm, xgboost, randomForest } = model.models;
  const parts = [lightgbm.nodesVisited(rows), xgboost.nodesVisited(rows), randomForest.nodesVisited(rows)];
  for (const p of parts) expect(p).toBeGreaterThan(0);
  expect(model.nodesVisited(rows)).toBe((parts[0] ?? 0) + (parts[1] ?? 0) + (parts[2] ?? 0));
  // XGBoost trees of depth <= 6: at most 6 splits per tree per row.
  expect(xgboost.nodesVisited(rows)).toBeLessThanOrEqual(2 * 6 * xgboost.numTrees);
  const stump = LightGBMModel.loadSync(join(fixtures, 'models', 'lgb_single_leaf_only_3f', 'model.txt'));
  try {
    expect(stump.nodesVisited([[1, 2, 3]])).toBe(0);
  } finally {
    stump.close();
  }
});
