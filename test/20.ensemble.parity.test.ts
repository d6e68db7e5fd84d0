// The bundled production ensemble against the reference predictions that tools/train_models.py
// wrote with the real libraries: every path (batch, async, single row, per model), float64 and
// float32, rows with NaN and with values exactly on split thresholds.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProductionEnsemble } from '../dist/index.js';
import { expectClose, fixtures, productionDir, readF64, readJson, rowsOf } from './helpers.js';

interface Side {
  f64: number[];
  f32: number[];
}
interface Reference {
  rows: number;
  n_features: number;
  feature_names: string[];
  lightgbm: Side;
  xgboost: Side;
  random_forest: Side;
  ensemble: Side;
}

const dir = join(fixtures, 'production');
const ref = readJson<Reference>(join(dir, 'reference.json'));
const x64 = readF64(join(dir, 'inputs.f64'));
const x32 = Float32Array.from(x64);
let model: ProductionEnsemble;

beforeAll(async () => {
  model = await ProductionEnsemble.load(productionDir);
});
afterAll(() => model.close());

it('the reference set has NaN rows and a real size', () => {
  expect(ref.rows).toBeGreaterThanOrEqual(1000);
  expect(x64.some(Number.isNaN)).toBe(true);
  expect(model.featureNames).toEqual(ref.feature_names);
});

describe.each([
  ['float64', x64, 'f64'],
  ['float32', x32, 'f32'],
] as const)('%s input', (_label, x, side) => {
  it('predictProba (batch) matches 0.4/0.4/0.2 of the libraries', () => {
    expectClose(model.predictProba(x), ref.ensemble[side], `ensemble ${side}`);
  });

  it('predictProbaAsync matches', async () => {
    expectClose(await model.predictProbaAsync(x), ref.ensemble[side], `ensemble async ${side}`);
  });

  it('predictModels matches each library', () => {
    const p = model.predictModels(x);
    expectClose(p.lightgbm, ref.lightgbm[side], `lightgbm ${side}`);
    expectClose(p.xgboost, ref.xgboost[side], `xgboost ${side}`);
    expectClose(p.randomForest, ref.random_forest[side], `random_forest ${side}`);
    expectClose(p.ensemble, ref.ensemble[side], `ensemble parts ${side}`);
  });

  it('predictOne matches row by row', () => {
    const got = new Float64Array(ref.rows);
    for (let r = 0; r < ref.rows; r++) got[r] = model.predictOne(x.subarray(r * 12, r * 12 + 12));
    expectClose(got, ref.ensemble[side], `ensemble single-row ${side}`);
  });

  it('each model alone matches its library', () => {
    expectClose(model.models.lightgbm.predictProba(x), ref.lightgbm[side], `lightgbm alone ${side}`);
    expectClose(model.models.xgboost.predictProba(x), ref.xgboost[side], `xgboost alone ${side}`);
    const rf = model.models.randomForest.predictProba(x);
    expectClose(rf.filter((_, i) => i % 2 === 1), ref.random_forest[side], `random_forest alone ${side}`);
  });
});

it('number[][] and records score the same as the typed array', () => {
  const rows = rowsOf(x64.subarray(0, 50 * 12), 12);
  expectClose(model.predictProba(rows), ref.ensemble.f64.slice(0, 50), 'number[][]');
  const records = rows.map((r) => Object.fromEntries(ref.feature_names.map((n, i) => [n, r[i]])));
  expectClose(model.predictProba(records), ref.ensemble.f64.slice(0, 50), 'records');
  expect(model.predictOne(records[3] as Record<string, number>)).toBeCloseTo(ref.ensemble.f64[3] as number, 12);
  expect(model.predictOne(rows[4] as number[])).toBeCloseTo(ref.ensemble.f64[4] as number, 12);
});

it('predict gives labels at the metadata threshold', () => {
  const labels = model.predict(x64);
  const t = model.threshold;
  expect(labels).toEqual(Uint8Array.from(ref.ensemble.f64, (p) => (p >= t ? 1 : 0)));
});

it('a bigger batch on several threads matches the single-threaded scores', async () => {
  const big = new Float64Array(20_000 * 12);
  for (let i = 0; i < big.length; i++) big[i] = x64[i % x64.length] as number;
  const one = await ProductionEnsemble.load(productionDir, { threads: 1 });
  try {
    expect(model.predictProba(big)).toEqual(one.predictProba(big));
  } finally {
    one.close();
  }
});
