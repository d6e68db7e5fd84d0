// explain / explainAsync through the public API: each model against its library's own TreeSHAP
// (test/fixtures/**/contrib.json, written by tools/make_explain_references.py), the ensemble's
// contributions adding up to P(up) and its parts to each model's probability, NaN rows, the
// async input copy, and what cannot be explained named with NotExplainableError.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ClosedError,
  EnsembleExplanation,
  LightGBMModel,
  NotExplainableError,
  ProductionEnsemble,
  RandomForestModel,
  XGBoostModel,
  waterfallSvg,
} from '../dist/index.js';
import { expectClose, fixtures, readF64, readJson, rowsOf } from './helpers.js';

interface ProductionContrib {
  rows: number;
  row_indices: number[];
  lightgbm: number[];
  xgboost: number[];
  random_forest: number[];
}

const production = join(fixtures, 'production');
const contrib = readJson<ProductionContrib>(join(production, 'contrib.json'));
const all = rowsOf(readF64(join(production, 'inputs.f64')), 12);
const rows = contrib.row_indices.map((i) => all[i] as number[]);
// The forest costs ~100x a booster to explain: a third of the rows (every group is still there).
const every3 = (_: unknown, i: number) => i % 3 === 0;
const some = rows.filter(every3);
// The layout of contrib.json: per row, the 12 contributions then the expected value.
const split = (flat: number[]) => ({
  contributions: flat.filter((_, i) => i % 13 !== 12),
  expected: flat.filter((_, i) => i % 13 === 12),
});

let ensemble: ProductionEnsemble;
beforeAll(async () => {
  ensemble = await ProductionEnsemble.load();
});
afterAll(() => ensemble?.close());

describe('each bundled model against its library', () => {
  it('LightGBM: pred_contrib, within 1e-6, in margin space', async () => {
    const e = await ensemble.models.lightgbm.explainAsync(rows);
    expect(e.space).toBe('margin');
    expect(e.featureNames).toEqual(ensemble.featureNames);
    const want = split(contrib.lightgbm);
    expectClose(e.contributions, want.contributions, 'LightGBM contributions', 12);
    expectClose(e.expectedValue, want.expected, 'LightGBM expected value');
    const margins = ensemble.models.lightgbm.predictRaw(rows);
    for (let r = 0; r < rows.length; r++) expect(Math.abs(e.total(r) - (margins[r] as number))).toBeLessThan(1e-9);
  });

  it('XGBoost: pred_contribs, to the bit', () => {
    const e = ensemble.models.xgboost.explain(rows);
    const want = split(contrib.xgboost);
    expect(Array.from(e.contributions)).toEqual(want.contributions);
    expect(Array.from(e.expectedValue)).toEqual(want.expected);
  });

  it('the forest: shap TreeExplainer for P(up), within 1e-6', () => {
    const e = ensemble.models.randomForest.explain(some);
    expect(e.outputNames).toEqual(['P(0)', 'P(1)']);
    const up = { contributions: [] as number[], expected: [] as number[] };
    for (let r = 0; r < some.length; r++) {
      up.contributions.push(...e.row(r, 1));
      up.expected.push(e.expectedValue[r * 2 + 1] as number);
    }
    const shap = contrib.random_forest.filter((_, i) => Math.floor(i / 13) % 3 === 0);
    const want = split(shap);
    expectClose(up.contributions, want.contributions, 'forest contributions', 12);
    expectClose(up.expected, want.expected, 'forest expected value');
  });
});

describe('the ensemble', () => {
  it('contributions + expected value = P(up) within 1e-9; parts add up to each model', async () => {
    const e = await ensemble.explainAsync(some);
    expect(e).toBeInstanceOf(EnsembleExplanation);
    expect(e.space).toBe('probability');
    const p = ensemble.predictModels(some);
    const parts = [
      [e.models.lightgbm, p.lightgbm],
      [e.models.xgboost, p.xgboost],
      [e.models.randomForest, p.randomForest],
    ] as const;
    for (let r = 0; r < some.length; r++) {
      expect(Math.abs(e.total(r) - (p.ensemble[r] as number))).toBeLessThan(1e-9);
      for (const [part, probs] of parts) expect(Math.abs(part.total(r) - (probs[r] as number))).toBeLessThan(1e-12);
      // Feature by feature, the weighted parts.
      for (let j = 0; j < 12; j++) {
        const combined =
          e.weights.lightgbm * (parts[0][0].row(r)[j] as number) +
          e.weights.xgboost * (parts[1][0].row(r)[j] as number) +
          e.weights.randomForest * (parts[2][0].row(r)[j] as number);
        expect(e.row(r)[j]).toBe(combined);
      }
    }
  });

  it('sync and async agree; rows with NaN are explained as they are scored; records work', async () => {
    const nan = rows.slice(0, 24).map((r) => r.map((v, j) => (j % 3 === 0 ? Number.NaN : v)));
    const flat = Float64Array.from(nan.flat());
    const pending = ensemble.explainAsync(flat);
    flat.fill(1e9); // the input was copied when the call was made
    const a = await pending;
    const b = ensemble.explain(nan);
    expect(Array.from(a.contributions)).toEqual(Array.from(b.contributions));
    const p = ensemble.predictProba(nan);
    for (let r = 0; r < nan.length; r++) expect(Math.abs(b.total(r) - (p[r] as number))).toBeLessThan(1e-9);
    const record = Object.fromEntries(ensemble.featureNames.map((n, j) => [n, nan[0]?.[j] ?? null]));
    expect(Array.from(ensemble.explain([record as never]).row(0))).toEqual(Array.from(b.row(0)));
  });

  it('ranked() orders by magnitude; row and output indices are checked', () => {
    const e = ensemble.explain(rows.slice(0, 2));
    const ranked = e.ranked(1);
    expect(ranked).toHaveLength(12);
    for (let i = 1; i < 12; i++) expect(Math.abs(ranked[i - 1]?.contribution as number)).toBeGreaterThanOrEqual(Math.abs(ranked[i]?.contribution as number));
    expect(() => e.row(2)).toThrow(RangeError);
    expect(() => e.row(0, 1)).toThrow(RangeError);
  });

  it('waterfallSvg: the largest contributions as bars, the rest summed, ending at the output', () => {
    const e = ensemble.explain(rows.slice(0, 1));
    const svg = waterfallSvg(e, 0, { features: 5, values: rows[0], title: 'P(up) <now>' });
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.match(/<rect /g)).toHaveLength(1 + 5 + 1); // background, 5 features, the rest
    expect(svg).toContain('7 other features');
    for (const { feature } of e.ranked(0).slice(0, 5)) expect(svg).toContain(`>${feature} = `);
    expect(svg).toContain(`f(x) = ${e.total(0).toFixed(4)}`);
    expect(svg).toContain('P(up) &#60;now&#62;');
  });

  it('explaining a closed ensemble is a ClosedError', () => {
    const m = ProductionEnsemble.loadSync();
    m.close();
    expect(() => m.explain(rows.slice(0, 1))).toThrow(ClosedError);
  });
});

describe('what cannot be explained says why', () => {
  const zoo = join(fixtures, 'models');
  it('a forest file of format 1.0 (no node weights) loads, scores, and refuses to explain', async () => {
    const rf = await RandomForestModel.load(join(fixtures, 'forest', 'rf_binary_nan.forest'));
    try {
      expect(rf.predictProba([new Array(rf.nFeatures).fill(0.5)])).toHaveLength(2);
      expect(() => rf.explain([new Array(rf.nFeatures).fill(0.5)])).toThrow(NotExplainableError);
      await expect(rf.explainAsync([new Array(rf.nFeatures).fill(0.5)])).rejects.toThrow(/no node_weights record \(format 1\.0/);
    } finally {
      rf.close();
    }
  });

  it.each([
    ['lgb_linear_tree_6f/model.txt', LightGBMModel, /the LightGBM model cannot be explained: linear trees/],
    ['lgb_multiclass_softmax_5f/model.txt', LightGBMModel, /more than one output per row/],
    ['xgb_categorical_binary_6f/model.json', XGBoostModel, /the XGBoost model cannot be explained: categorical splits/],
  ] as const)('%s', async (file, cls, why) => {
    const model = await cls.load(join(zoo, file));
    try {
      const row = [new Array(model.nFeatures).fill(0.5)];
      let error: unknown;
      try {
        model.explain(row);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(NotExplainableError);
      expect((error as NotExplainableError).code).toBe('ERR_NOT_EXPLAINABLE');
      expect((error as Error).message).toMatch(why);
    } finally {
      model.close();
    }
  });

  it('a zoo model whoever scores it: the library scorer explains the same', async () => {
    const file = join(zoo, 'xgb_dart_binary_7f', 'model.json');
    const ref = readJson<{ contrib_f64: number[]; rows: number }>(join(zoo, 'xgb_dart_binary_7f', 'contrib.json'));
    const x = readF64(join(zoo, 'xgb_dart_binary_7f', 'inputs.f64'));
    for (const scorer of ['auto', 'library'] as const) {
      const m = await XGBoostModel.load(file, { scorer });
      try {
        const e = m.explain(x);
        const want = ref.contrib_f64;
        const got: number[] = [];
        for (let r = 0; r < ref.rows; r++) got.push(...e.row(r), e.expectedValue[r] as number);
        expect(got).toEqual(want);
      } finally {
        m.close();
      }
    }
  });
});
