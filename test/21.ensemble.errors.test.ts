// Bad input gets a clear error that names what is wrong: inputs, metadata and model files.
import { cpSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FeatureMismatchError,
  InvalidInputError,
  MetadataError,
  ModelNotFoundError,
  ProductionEnsemble,
} from '../dist/index.js';
import { productionDir, root, runChild } from './helpers.js';

let model: ProductionEnsemble;
const row = () => [101.5, 2400, 0.001, 55, 0.2, 0.1, 1.3, 0.6, 100.9, 100.2, 0.4, 1.1];

beforeAll(async () => {
  model = await ProductionEnsemble.load(productionDir);
});
afterAll(() => model.close());

describe('inputs', () => {
  it('wrong feature count in a typed array', () => {
    expect(() => model.predictProba(new Float64Array(11))).toThrow(FeatureMismatchError);
    expect(() => model.predictProba(new Float64Array(11))).toThrow('expected 12 features, got 11');
    expect(() => model.predictProba(new Float64Array(25))).toThrow('not a whole number of rows of 12 features');
    expect(() => model.predictOne(new Float64Array(13))).toThrow('expected 12 features, got 13');
  });

  it('a row of the wrong length in number[][]', () => {
    const rows = [row(), row().slice(0, 11), row()];
    expect(() => model.predictProba(rows)).toThrow(FeatureMismatchError);
    expect(() => model.predictProba(rows)).toThrow('row 1 has 11 values: expected 12 features, got 11');
    expect(() => model.predictOne(row().concat([1]))).toThrow('expected 12 features, got 13');
  });

  it('unknown and missing feature names in records', () => {
    const names = model.featureNames;
    const rec = Object.fromEntries(names.map((n, i) => [n, row()[i]]));
    expect(() => model.predictProba([rec, { ...rec, rsi_15: 3 }])).toThrow("row 1: unknown feature 'rsi_15'");
    const { macd: _dropped, ...missing } = rec;
    expect(() => model.predictProba([missing])).toThrow("row 0: missing feature 'macd'");
    expect(() => model.predictOne(missing)).toThrow(FeatureMismatchError);
  });

  it('an empty batch returns empty, no error', async () => {
    expect(model.predictProba([])).toEqual(new Float64Array(0));
    expect(model.predictProba(new Float64Array(0))).toEqual(new Float64Array(0));
    expect(await model.predictProbaAsync([])).toEqual(new Float64Array(0));
    expect(model.predict([])).toEqual(new Uint8Array(0));
  });

  it('a value that is not a number', () => {
    const bad = row() as unknown[];
    bad[3] = 'fifty';
    expect(() => model.predictProba([bad as number[]])).toThrow('row 0, feature 3 (rsi_14): expected a number, got string');
  });

  it('±Inf is refused by the ensemble, naming row and feature', async () => {
    const x = new Float64Array(3 * 12).fill(1);
    x[2 * 12 + 3] = Number.POSITIVE_INFINITY;
    expect(() => model.predictProba(x)).toThrow(InvalidInputError);
    expect(() => model.predictProba(x)).toThrow(/row 2, feature 3 \(rsi_14\): \+Inf is not allowed/);
    await expect(model.predictProbaAsync(x)).rejects.toThrow(/row 2, feature 3 \(rsi_14\): \+Inf/);
    const r = new Float64Array(12).fill(1);
    r[0] = Number.NEGATIVE_INFINITY;
    expect(() => model.predictOne(r)).toThrow(/row 0, feature 0 \(close\): -Inf is not allowed/);
  });

  it('±Inf: XGBoost and the forest refuse it alone too; LightGBM scores it', () => {
    const x = new Float64Array(12).fill(1);
    x[5] = Number.POSITIVE_INFINITY;
    expect(() => model.models.xgboost.predictProba(x)).toThrow(/row 0, feature 5.*\+Inf/);
    expect(() => model.models.randomForest.predictProba(x)).toThrow(/row 0, feature 5.*\+Inf/);
    const p = model.models.lightgbm.predictProba(x);
    expect(p[0]).toBeGreaterThan(0);
    expect(p[0]).toBeLessThan(1);
  });

  it('NaN is a missing value, not an error', () => {
    const x = new Float64Array(12).fill(Number.NaN);
    const p = model.predictOne(x);
    expect(p).toBeGreaterThan(0);
    expect(p).toBeLessThan(1);
    expect(model.predictProba([[...row().slice(0, 5), null, ...row().slice(6)]])[0]).toBeCloseTo(
      model.predictOne([...row().slice(0, 5), Number.NaN, ...row().slice(6)]),
      12,
    );
  });

  it('weights and threshold can be overridden', async () => {
    const x = Float64Array.from(row());
    const lgbOnly = await ProductionEnsemble.load(productionDir, { weights: { lightgbm: 1, xgboost: 0, random_forest: 0 }, threshold: 0.9 });
    try {
      expect(lgbOnly.predictOne(x)).toBe(model.models.lightgbm.predictOne(x));
      expect(lgbOnly.threshold).toBe(0.9);
      expect(lgbOnly.getModelInfo().weights).toEqual({ lightgbm: 1, xgboost: 0, random_forest: 0 });
    } finally {
      lgbOnly.close();
    }
    await expect(ProductionEnsemble.load(productionDir, { threshold: 2 })).rejects.toThrow('threshold must be a number in [0, 1]');
  });
});

describe('model directory', () => {
  let work: string;
  const copy = (name: string) => {
    const d = join(work, name);
    cpSync(productionDir, d, { recursive: true });
    return d;
  };
  const metaOf = (d: string) => JSON.parse(readFileSync(join(d, 'production_model_metadata.json'), 'utf8'));
  const writeMeta = (d: string, m: unknown) => writeFileSync(join(d, 'production_model_metadata.json'), JSON.stringify(m, null, 2));

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'pe-dir-'));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('a missing directory', async () => {
    await expect(ProductionEnsemble.load(join(work, 'nope'))).rejects.toThrow(ModelNotFoundError);
    await expect(ProductionEnsemble.load(join(work, 'nope'))).rejects.toThrow(/model directory .*nope does not exist/);
  });

  it('a missing model file', async () => {
    const d = copy('missing-file');
    unlinkSync(join(d, 'xgboost.json'));
    await expect(ProductionEnsemble.load(d)).rejects.toThrow(ModelNotFoundError);
    await expect(ProductionEnsemble.load(d)).rejects.toThrow(/cannot read model file .*xgboost\.json: No such file or directory/);
  });

  it('a model file that changed after the metadata was written', async () => {
    const d = copy('checksum');
    writeFileSync(join(d, 'lightgbm.txt'), `${readFileSync(join(d, 'lightgbm.txt'), 'utf8')}\n`);
    await expect(ProductionEnsemble.load(d)).rejects.toThrow(MetadataError);
    await expect(ProductionEnsemble.load(d)).rejects.toThrow(/lightgbm\.txt: sha256 is [0-9a-f]{64} but .* says [0-9a-f]{64}/);
    const unchecked = await ProductionEnsemble.load(d, { verifyChecksums: false });
    unchecked.close();
  });

  it('a feature count that disagrees with the models', async () => {
    const d = copy('count');
    const m = metaOf(d);
    m.feature_names = m.feature_names.slice(0, 11);
    m.n_features = 11;
    writeMeta(d, m);
    await expect(ProductionEnsemble.load(d, { verifyChecksums: false })).rejects.toThrow(
      /lightgbm\.txt has 12 features but .*production_model_metadata\.json lists 11/,
    );
  });

  it('n_features that disagrees with feature_names', async () => {
    const d = copy('n-features');
    const m = metaOf(d);
    m.n_features = 13;
    writeMeta(d, m);
    await expect(ProductionEnsemble.load(d)).rejects.toThrow(/production_model_metadata\.json: n_features says 13 but feature_names lists 12/);
  });

  it('feature names that disagree with the models', async () => {
    expect(model.models.lightgbm.featureNames).toEqual(model.featureNames);
    const d = copy('names');
    const m = metaOf(d);
    [m.feature_names[2], m.feature_names[3]] = [m.feature_names[3], m.feature_names[2]];
    writeMeta(d, m);
    await expect(ProductionEnsemble.load(d)).rejects.toThrow(/lightgbm\.txt: feature 2 is named 'returns_1' in the model but 'rsi_14' in/);
  });

  it('metadata that is not JSON', async () => {
    const d = copy('bad-json');
    writeFileSync(join(d, 'production_model_metadata.json'), '{"model_type": "ProductionEnsemble",');
    await expect(ProductionEnsemble.load(d)).rejects.toThrow(/production_model_metadata\.json: not valid JSON/);
  });

  it('the wrong model_type', async () => {
    const d = copy('type');
    writeMeta(d, { ...metaOf(d), model_type: 'SomethingElse' });
    await expect(ProductionEnsemble.load(d)).rejects.toThrow(/model_type is "SomethingElse", expected "ProductionEnsemble"/);
  });

  it('an unknown schema_version or model format', async () => {
    const d = copy('schema');
    writeMeta(d, { ...metaOf(d), schema_version: 2 });
    await expect(ProductionEnsemble.load(d)).rejects.toThrow(/schema_version 2 is not supported/);
    const m = metaOf(copy('format'));
    m.model_files.xgboost.format = 'onnx';
    const d2 = join(work, 'format');
    writeMeta(d2, m);
    await expect(ProductionEnsemble.load(d2)).rejects.toThrow(/model_files\.xgboost\.format 'onnx' is not a format this package reads/);
  });

  it('the legacy model_metadata.json alone is accepted', async () => {
    const d = copy('legacy');
    unlinkSync(join(d, 'production_model_metadata.json'));
    const legacy = await ProductionEnsemble.load(d);
    try {
      const info = legacy.getModelInfo();
      expect(info.legacyMetadata).toBe(true);
      expect(info.weights).toEqual({ lightgbm: 0.4, xgboost: 0.4, random_forest: 0.2 });
      const x = Float64Array.from(row());
      expect(legacy.predictOne(x)).toBe(model.predictOne(x));
    } finally {
      legacy.close();
    }
  });

  it('no metadata at all', async () => {
    const d = copy('no-meta');
    unlinkSync(join(d, 'production_model_metadata.json'));
    unlinkSync(join(d, 'model_metadata.json'));
    await expect(ProductionEnsemble.load(d)).rejects.toThrow(/has no production_model_metadata\.json \(nor the legacy model_metadata\.json\)/);
  });
});

describe('thread counts', () => {
  // LightGBM's and XGBoost's OpenMP runtimes abort (20,000) or crash (100,000) the process when
  // the system refuses a thread: such counts must never reach them (issue 9, item 6).
  it('beyond 1024 is refused by every loader and by the addon itself; the rest is capped', () => {
    const dist = (f: string) => JSON.stringify(join(root, 'dist', f));
    const file = (f: string) => JSON.stringify(join(productionDir, f));
    const r = runChild(`
      import * as pe from ${dist('index.js')};
      import { binding } from ${dist('binding.js')};
      const x = new Float64Array(12 * 5000).map((_, i) => (i % 97) / 7);
      const library = { scorer: 'library' };
      const loaders = {
        lightgbm: (o) => pe.LightGBMModel.load(${file('lightgbm.txt')}, { ...library, ...o }),
        xgboost: (o) => pe.XGBoostModel.load(${file('xgboost.json')}, { ...library, ...o }),
        forest: (o) => pe.RandomForestModel.load(${file('random_forest.forest')}, o),
        ensemble: (o) => pe.ProductionEnsemble.load(${JSON.stringify(productionDir)}, { ...library, ...o }),
        addon: (o) => binding().addon.loadLightGBM({ path: ${file('lightgbm.txt')} },
          { ...library, libraryDirs: binding().libraryDirs, ...o }, true),
      };
      const refused = {};
      for (const threads of [20000, 100000, 1025, -1, 2.5]) {
        for (const [name, load] of Object.entries(loaders)) {
          try {
            const m = await load({ threads });
            await m.predictProbaAsync(x);
            refused[name + ' ' + threads] = 'loaded and scored';
          } catch (e) {
            refused[name + ' ' + threads] = e.name + ': ' + e.message;
          }
        }
      }
      const one = (await loaders.lightgbm({ threads: 1 })).predictProba(x);
      const many = await loaders.lightgbm({ threads: 1024 });
      const all = await Promise.all([0, 1, 2, 3].map(() => many.predictProbaAsync(x)));
      const ens1 = (await loaders.ensemble({ threads: 1 })).predictProba(x);
      const ens = await loaders.ensemble({ threads: 1024 });
      const ensAll = await Promise.all([0, 1, 2, 3].map(() => ens.predictProbaAsync(x)));
      const same = (list, want) => list.every((p) => p.every((v, i) => v === want[i]));
      console.log(JSON.stringify({ refused, same: same(all, one) && same(ensAll, ens1) }));`);
    expect(r.signal, r.stderr).toBe(null);
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop() ?? '');
    for (const [what, result] of Object.entries(out.refused)) {
      expect(result, what).toMatch(/^RangeError: threads must be an integer in \[0, 1024\], got /);
    }
    expect(Object.keys(out.refused)).toHaveLength(25);
    expect(out.same).toBe(true);
  });
});
