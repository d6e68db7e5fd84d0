// What every public class shares since they score through one path (src/scorer.ts): predictOne
// returns a number everywhere, the closed check comes first and reads the same on every class,
// and every JS object the API hands out spells its keys one way (camelCase: `randomForest`).
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClosedError, InvalidArgumentError, LightGBMModel, ProductionEnsemble, RandomForestModel, XGBoostModel } from '../dist/index.js';
import { fixtures, productionDir, readF64 } from './helpers.js';

const x = readF64(join(fixtures, 'production', 'inputs.f64'));
const row = x.slice(0, 12);
let model: ProductionEnsemble;
beforeAll(async () => {
  model = await ProductionEnsemble.load(productionDir);
});
afterAll(() => model.close());

describe('predictOne returns one number on every class', () => {
  it('the ensemble and its three models: a number, equal to the batch path', () => {
    const { lightgbm, xgboost, randomForest } = model.models;
    for (const [what, one, batch] of [
      ['ensemble', model.predictOne(row), model.predictProba(row)[0]],
      ['lightgbm', lightgbm.predictOne(row), lightgbm.predictProba(row)[0]],
      ['xgboost', xgboost.predictOne(row), xgboost.predictProba(row)[0]],
      // The forest's P(up) is its second column (classes [0, 1]), as predictModels reports it.
      ['randomForest', randomForest.predictOne(row), randomForest.predictProba(row)[1]],
    ] as const) {
      expect(typeof one, what).toBe('number');
      expect(one, what).toBe(batch);
    }
    expect(randomForest.predictOne(row)).toBe(model.predictModels(row).randomForest[0]);
  });

  it('a binary forest with other labels gives P(classes[1])', async () => {
    using rf = await RandomForestModel.load(join(fixtures, 'models', 'rf_labels_neg1_pos1_5f', 'model.forest'));
    const r = new Float64Array([0.1, -0.3, 2, 0.5, 1]);
    expect(rf.classes).toEqual([-1, 1]);
    expect(rf.predictOne(r)).toBe(rf.predictProba(r)[1]);
  });

  it('a forest of more or fewer than two classes points to predictProba, naming its classes', async () => {
    using multi = await RandomForestModel.load(join(fixtures, 'models', 'rf_labels_2_5_9_5f', 'model.forest'));
    expect(() => multi.predictOne(new Float64Array(5))).toThrow(TypeError);
    expect(() => multi.predictOne(new Float64Array(5))).toThrow(
      "predictOne returns P(classes[1]) of a binary forest; this forest has 3 classes (2, 5, 9): use predictProba([row]) for each class's probability",
    );
    using single = await RandomForestModel.load(join(fixtures, 'forest', 'rf_single_class.forest'));
    expect(() => single.predictOne(new Float64Array(single.nFeatures))).toThrow(/this forest has 1 class \(.*\): use predictProba\(\[row\]\)/);
  });

  it('a multiclass booster points to predictProba too', async () => {
    using lgb = await LightGBMModel.load(join(fixtures, 'models', 'lgb_multiclass_softmax_5f', 'model.txt'));
    expect(() => lgb.predictOne(new Float64Array(5))).toThrow('predictOne returns one number; this model has 3 outputs per row: use predictProba([row])');
  });
});

describe('the closed check is the same on every class, and comes before anything else', () => {
  const bad = 'not rows' as never;

  it('every scoring method of the ensemble and of each model throws ClosedError "<Class> is closed"', async () => {
    const ens = await ProductionEnsemble.load(productionDir);
    const lgb = await LightGBMModel.load(join(productionDir, 'lightgbm.txt'));
    const xgb = await XGBoostModel.load(join(productionDir, 'xgboost.json'));
    const rf = await RandomForestModel.load(join(productionDir, 'random_forest.forest'));
    const multi = await LightGBMModel.load(join(fixtures, 'models', 'lgb_multiclass_softmax_5f', 'model.txt'));
    for (const m of [ens, lgb, xgb, rf, multi]) m.close();
    const calls: [string, string, () => unknown][] = [
      ['ProductionEnsemble', 'predictProba', () => ens.predictProba(bad)],
      ['ProductionEnsemble', 'predict', () => ens.predict(bad)],
      ['ProductionEnsemble', 'predictOne', () => ens.predictOne(bad)],
      ['ProductionEnsemble', 'predictModels', () => ens.predictModels(bad)],
      ['ProductionEnsemble', 'nodesVisited', () => ens.nodesVisited(bad)],
      ['ProductionEnsemble', 'getModelInfo', () => ens.getModelInfo()],
      ['ProductionEnsemble', 'explain', () => ens.explain(bad)],
      ['ProductionEnsemble', 'monitorDrift', () => ens.monitorDrift()],
      ['ProductionEnsemble', 'models.lightgbm.predictOne', () => ens.models.lightgbm.predictOne(bad)],
      ['LightGBMModel', 'predictProba', () => lgb.predictProba(bad)],
      ['LightGBMModel', 'predictRaw', () => lgb.predictRaw(bad)],
      ['LightGBMModel', 'predictOne', () => lgb.predictOne(bad)],
      ['LightGBMModel', 'nodesVisited', () => lgb.nodesVisited(bad)],
      ['LightGBMModel', 'explain', () => lgb.explain(bad)],
      ['LightGBMModel', 'predictOne of a multiclass model', () => multi.predictOne(bad)],
      ['XGBoostModel', 'predictProba', () => xgb.predictProba(bad)],
      ['XGBoostModel', 'nodesVisited', () => xgb.nodesVisited(bad)],
      ['RandomForestModel', 'predictOne', () => rf.predictOne(bad)],
      ['RandomForestModel', 'nodesVisited', () => rf.nodesVisited(bad)],
      ['RandomForestModel', 'explain', () => rf.explain(bad)],
    ];
    for (const [cls, what, call] of calls) {
      let err: unknown;
      try {
        call();
      } catch (e) {
        err = e;
      }
      expect(err, `${cls}.${what}`).toBeInstanceOf(ClosedError);
      expect((err as Error).message, `${cls}.${what}`).toBe(`${what.startsWith('models.') ? 'LightGBMModel' : cls} is closed`);
    }
    const async: [string, () => Promise<unknown>][] = [
      ['ProductionEnsemble', () => ens.predictProbaAsync(bad)],
      ['ProductionEnsemble', () => ens.predictAsync(bad)],
      ['ProductionEnsemble', () => ens.predictModelsAsync(bad)],
      ['XGBoostModel', () => xgb.predictProbaAsync(bad)],
      ['LightGBMModel', () => lgb.predictRawAsync(bad)],
      ['RandomForestModel', () => rf.predictProbaAsync(bad)],
      ['ProductionEnsemble', () => ens.explainAsync(bad)],
      ['XGBoostModel', () => xgb.explainAsync(bad)],
    ];
    for (const [cls, call] of async) await expect(call()).rejects.toThrow(new ClosedError(`${cls} is closed`));
    // What a closed model still answers: its description.
    expect([ens.nFeatures, lgb.nFeatures, rf.nClasses, xgb.numTrees]).toEqual([12, 12, 2, 300]);
    expect(ens.weights.randomForest).toBe(0.2);
  });
});

describe('one spelling of the keys in JS objects: camelCase', () => {
  // Metadata content is handed out as the file has it (performance metrics, training versions).
  const content = new Set(['performanceMetrics', 'trainingVersions']);
  function keys(value: unknown, path: string, out: string[]): string[] {
    if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) return out;
    if (Array.isArray(value)) {
      value.forEach((v, i) => keys(v, `${path}[${i}]`, out));
      return out;
    }
    for (const [k, v] of Object.entries(value)) {
      out.push(`${path}.${k}`);
      if (!content.has(k)) keys(v, `${path}.${k}`, out);
    }
    return out;
  }

  it('getModelInfo, the health report, weights, models, predictModels, explanations and drift', async () => {
    const info = model.getModelInfo();
    const monitor = model.monitorDrift({ minRows: 1 });
    model.predictProba(x);
    model.stopDriftMonitor();
    const all = [
      ...keys(info, 'info', []),
      ...keys(await model.healthCheck(), 'health', []),
      ...keys(model.weights, 'weights', []),
      ...keys(model.models, 'models', []),
      ...keys(model.predictModels(row), 'predictModels', []),
      ...keys(model.explain(row), 'explain', []),
      ...keys(model.driftReference, 'driftReference', []),
      ...keys(monitor.report(), 'driftReport', []),
      ...keys(monitor.options, 'driftOptions', []),
    ];
    expect(all.length).toBeGreaterThan(30);
    expect(all.filter((k) => !/^[a-z][a-zA-Z0-9]*$/.test(k.slice(k.lastIndexOf('.') + 1)))).toEqual([]);
    // The members are named by the same keys everywhere.
    expect(info.individualModels).toEqual(['lightgbm', 'xgboost', 'randomForest']);
    for (const o of [info.weights, info.models, model.weights, model.models]) expect(Object.keys(o)).toEqual(info.individualModels);
    // ... and the version that scored the batch (issue 13).
    expect(Object.keys(model.predictModels(row))).toEqual([...info.individualModels, 'ensemble', 'version']);
    const e = model.explain(row);
    for (const o of [e.models, e.weights]) expect(Object.keys(o)).toEqual(info.individualModels);
  });

  it('weights with the metadata file\'s key are refused with the JS key named; core errors name the JS key', async () => {
    const old = { lightgbm: 0.4, xgboost: 0.4, random_forest: 0.2 } as never;
    await expect(ProductionEnsemble.load(productionDir, { weights: old })).rejects.toThrow(
      /weights\.randomForest must be a number, got undefined \(in JS the key is randomForest; random_forest is the metadata file's spelling\)/,
    );
    const { lightgbm, xgboost, randomForest } = model.models;
    const featureNames = [...model.featureNames];
    expect(() => ProductionEnsemble.fromModels({ lightgbm, xgboost, randomForest }, { featureNames, weights: old })).toThrow(TypeError);
    const negative = { lightgbm: 0.6, xgboost: 0.6, randomForest: -0.2 };
    await expect(ProductionEnsemble.load(productionDir, { weights: negative })).rejects.toThrow(
      new InvalidArgumentError('weights.randomForest must be a finite number >= 0, got -0.2'),
    );
    expect(() => ProductionEnsemble.loadSync(productionDir, { weights: negative })).toThrow(/^weights\.randomForest must be/);
    expect(() => ProductionEnsemble.fromModels({ lightgbm, xgboost, randomForest }, { featureNames, weights: negative })).toThrow(/^weights\.randomForest must be/);
  });
});
