// Bad input gets a clear error that names what is wrong: inputs, metadata, model files and
// fromModels options; what the getters return cannot change how later rows are read.
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
  TechnicalFeatures,
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
    const lgbOnly = await ProductionEnsemble.load(productionDir, { weights: { lightgbm: 1, xgboost: 0, randomForest: 0 }, threshold: 0.9 });
    try {
      expect(lgbOnly.predictOne(x)).toBe(model.models.lightgbm.predictOne(x));
      expect(lgbOnly.threshold).toBe(0.9);
      expect(lgbOnly.getModelInfo().weights).toEqual({ lightgbm: 1, xgboost: 0, randomForest: 0 });
    } finally {
      lgbOnly.close();
    }
    await expect(ProductionEnsemble.load(productionDir, { threshold: 2 })).rejects.toThrow('threshold must be a number in [0, 1]');
  });
});

describe('SharedArrayBuffer-backed inputs are scored', () => {
  const shared = (Cls: typeof Float64Array | typeof Float32Array, values: number[]): Float64Array | Float32Array => {
    const a = new Cls(new SharedArrayBuffer(values.length * Cls.BYTES_PER_ELEMENT));
    a.set(values);
    return a;
  };
  const rows = [...row(), ...row().map((v) => v * 1.01), ...row().map((v) => v * 0.99)];

  it('Float64Array and Float32Array, sync, async, single row and each model', async () => {
    for (const Cls of [Float64Array, Float32Array] as const) {
      const x = shared(Cls, rows);
      const plain = Cls.from(rows);
      expect(model.predictProba(x)).toEqual(model.predictProba(plain));
      expect(await model.predictProbaAsync(x)).toEqual(model.predictProba(plain));
      expect((await model.predictModelsAsync(x)).randomForest).toEqual(model.predictModels(plain).randomForest);
      expect(model.predictOne(x.subarray(12, 24))).toBe(model.predictOne(plain.subarray(12, 24)));
      expect(await model.models.xgboost.predictProbaAsync(x)).toEqual(model.models.xgboost.predictProba(plain));
      expect(model.models.lightgbm.predictRaw(x)).toEqual(model.models.lightgbm.predictRaw(plain));
    }
  });

  it('candle columns and a reused output row', () => {
    const n = 60;
    const col = (f: (i: number) => number) => shared(Float64Array, Array.from({ length: n }, (_, i) => f(i))) as Float64Array;
    const cols = { open: col((i) => 100 + i), high: col((i) => 101 + i), low: col((i) => 99 + i), close: col((i) => 100.5 + i), volume: col((i) => 10 + (i % 7)) };
    const plain = Object.fromEntries(Object.entries(cols).map(([k, v]) => [k, Float64Array.from(v)])) as unknown as typeof cols;
    expect(new TechnicalFeatures().pushColumns(cols).features).toEqual(new TechnicalFeatures().pushColumns(plain).features);
    const out = shared(Float64Array, new Array(12).fill(0)) as Float64Array;
    const tf = new TechnicalFeatures({ warmup: 'nan' });
    expect(tf.push({ open: 1, high: 2, low: 0.5, close: 1.5, volume: 3 }, out)).toBe(out);
  });
});

describe('the getters hand out nothing that changes later scoring', () => {
  it('featureNames, weights, models, getModelInfo() parts and the models\' own descriptions', () => {
    const names = [...model.featureNames];
    const rec = Object.fromEntries(names.map((n, i) => [n, row()[i]]));
    const before = { ens: model.predictProba([rec])[0], lgb: model.models.lightgbm.predictProba([rec])[0], rf: model.models.randomForest.predictOne(rec) };
    const attempts: [string, () => void][] = [
      ['ensemble featureNames.sort()', () => (model.featureNames as string[]).sort()],
      ['ensemble featureNames[0] =', () => { (model.featureNames as string[])[0] = 'volume'; }],
      ['lightgbm featureNames.reverse()', () => (model.models.lightgbm.featureNames as string[]).reverse()],
      ['xgboost featureNames.sort()', () => (model.models.xgboost.featureNames as string[]).sort()],
      ['forest featureNames.reverse()', () => (model.models.randomForest.featureNames as string[]).reverse()],
      ['forest classes.reverse()', () => (model.models.randomForest.classes as number[]).reverse()],
      ['weights.lightgbm =', () => { (model.weights as { lightgbm: number }).lightgbm = 1; }],
      ['models.lightgbm =', () => { (model.models as { lightgbm: unknown }).lightgbm = model.models.xgboost; }],
      ['library.path =', () => { (model.models.lightgbm.library as { path: string }).path = '/tmp/x'; }],
      ['getModelInfo().performanceMetrics', () => { (model.getModelInfo().performanceMetrics as Record<string, unknown>).auc = 2; }],
      ['getModelInfo().trainingVersions', () => { model.getModelInfo().trainingVersions.lightgbm = '0'; }],
    ];
    for (const [what, mutate] of attempts) {
      try {
        mutate();
      } catch (e) {
        expect(e, what).toBeInstanceOf(TypeError); // frozen
      }
    }
    expect([...model.featureNames]).toEqual(names);
    expect(model.models.lightgbm.featureNames).toEqual(names);
    expect(model.models.randomForest.classes).toEqual([0, 1]);
    expect(model.weights).toEqual({ lightgbm: 0.4, xgboost: 0.4, randomForest: 0.2 });
    expect(model.getModelInfo().performanceMetrics).not.toHaveProperty('auc', 2);
    expect(model.getModelInfo().trainingVersions.lightgbm).not.toBe('0');
    expect(model.models.lightgbm.library.path).toMatch(/lib_lightgbm\.so$/);
    expect({ ens: model.predictProba([rec])[0], lgb: model.models.lightgbm.predictProba([rec])[0], rf: model.models.randomForest.predictOne(rec) }).toEqual(before);
  });
});

describe('fromModels options', () => {
  const models = () => model.models;

  it('no options, or featureNames missing or not strings: a TypeError naming the option', () => {
    const call = (options: unknown) => () => ProductionEnsemble.fromModels(models(), options as never);
    expect(call(undefined)).toThrow(TypeError);
    expect(call(undefined)).toThrow(/fromModels needs options with featureNames/);
    expect(call({})).toThrow(/options\.featureNames must be an array of non-empty strings/);
    expect(call({ featureNames: [...model.featureNames.slice(0, 11), 7] })).toThrow(/options\.featureNames must be an array of non-empty strings/);
    expect(() => ProductionEnsemble.fromModels(undefined as never, { featureNames: [...model.featureNames] })).toThrow(/fromModels needs the models/);
    expect(() => ProductionEnsemble.fromModels({ ...models(), xgboost: models().lightgbm } as never, { featureNames: [...model.featureNames] })).toThrow(
      /models\.xgboost must be a XGBoostModel/,
    );
  });

  it('a feature name listed twice is a MetadataError naming it', () => {
    const names = [...model.featureNames];
    names[5] = 'close';
    expect(() => ProductionEnsemble.fromModels(models(), { featureNames: names })).toThrow(MetadataError);
    expect(() => ProductionEnsemble.fromModels(models(), { featureNames: names })).toThrow("options.featureNames lists 'close' twice");
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
    // The drift reference must agree with feature_names (else the metadata itself is refused
    // first, naming the reference's twelfth feature): only the models disagree here.
    delete m.drift_reference.features.volume_ratio;
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
      expect(info.weights).toEqual({ lightgbm: 0.4, xgboost: 0.4, randomForest: 0.2 });
      const x = Float64Array.from(row());
      expect(legacy.predictOne(x)).toBe(model.predictOne(x));
    } finally {
      legacy.close();
    }
  });

  it('metadata weights that do not sum to 1 are refused at load; health is unhealthy', async () => {
    const cases = [
      [{ lightgbm: 0, xgboost: 0, random_forest: 0 }, '0'],
      [{ lightgbm: 3, xgboost: 3, random_forest: 1 }, '7'],
    ] as const;
    for (const [weights, sum] of cases) {
      const d = copy(`weights-${sum}`);
      writeMeta(d, { ...metaOf(d), model_weights: weights });
      await expect(ProductionEnsemble.load(d)).rejects.toThrow(MetadataError);
      await expect(ProductionEnsemble.load(d)).rejects.toThrow(new RegExp(`production_model_metadata\\.json: model_weights sum to ${sum}, not 1`));
      expect(await ProductionEnsemble.healthCheck(d)).toMatchObject({ status: 'unhealthy', errorCode: 'ERR_METADATA' });
    }
    const neg = copy('weights-negative');
    writeMeta(neg, { ...metaOf(neg), model_weights: { lightgbm: 0.8, xgboost: -0.2, random_forest: 0.4 } });
    await expect(ProductionEnsemble.load(neg)).rejects.toThrow(/model_weights\.xgboost must be a finite number >= 0, got -0\.2/);
  });

  it('weights given as a load option follow the same rules (in the core)', async () => {
    const load = (weights: { lightgbm: number; xgboost: number; randomForest: number }) => ProductionEnsemble.load(productionDir, { weights });
    await expect(load({ lightgbm: 3, xgboost: 3, randomForest: 1 })).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    await expect(load({ lightgbm: 3, xgboost: 3, randomForest: 1 })).rejects.toThrow(/weights sum to 7, not 1/);
    await expect(load({ lightgbm: 0, xgboost: 0, randomForest: 0 })).rejects.toThrow(/weights sum to 0, not 1/);
    await expect(load({ lightgbm: 0.5, xgboost: Number.NaN, randomForest: 0.5 })).rejects.toThrow(/weights\.xgboost must be a finite number >= 0, got NaN/);
    await expect(load({ lightgbm: 0.5, xgboost: '0.3' as never, randomForest: 0.2 })).rejects.toThrow(TypeError);
    const ok = await load({ lightgbm: 0.1, xgboost: 0.2, randomForest: 0.7 });
    ok.close();
  });

  it('a model file name with a NUL byte, a separator or ".." is refused, naming the field', async () => {
    for (const [tag, name] of [['nul', 'xgboost.json\u0000.txt'], ['slash', 'sub/xgboost.json'], ['backslash', 'sub\\xgboost.json'], ['up', '..']]) {
      const d = copy(`name-${tag}`);
      const m = metaOf(d);
      m.model_files.xgboost.file = name;
      writeMeta(d, m);
      await expect(ProductionEnsemble.load(d)).rejects.toThrow(MetadataError);
      await expect(ProductionEnsemble.load(d)).rejects.toThrow(/model_files\.xgboost\.file must be a file name in the directory/);
    }
    const d = join(work, 'name-nul');
    await expect(ProductionEnsemble.load(d)).rejects.toThrow(/got 'xgboost\.json\\u0000\.txt'/);
  });

  it('a sha256 that is not 64 lowercase hex digits, and null metadata', async () => {
    const d = copy('sha-format');
    const m = metaOf(d);
    m.model_files.lightgbm.sha256 = m.model_files.lightgbm.sha256.toUpperCase();
    writeMeta(d, m);
    await expect(ProductionEnsemble.load(d)).rejects.toThrow(/model_files\.lightgbm\.sha256 must be 64 lowercase hexadecimal digits/);
    const n = copy('null-meta');
    writeFileSync(join(n, 'production_model_metadata.json'), 'null');
    await expect(ProductionEnsemble.load(n)).rejects.toThrow(/production_model_metadata\.json: the top level must be a JSON object, got null/);
  });

  it('informational fields come from the core reader: NaN metrics (as Python writes them) load', async () => {
    const d = copy('nan-metrics');
    const path = join(d, 'production_model_metadata.json');
    writeFileSync(path, readFileSync(path, 'utf8').replace('"performance_metrics": {', '"performance_metrics": {"unscored_f1": NaN, '));
    const e = await ProductionEnsemble.load(d, { verifyChecksums: false });
    try {
      const info = e.getModelInfo();
      expect(info.performanceMetrics?.unscored_f1).toBeNaN();
      expect(info.performanceMetrics?.lightgbm_f1).toBe(metaOf(productionDir).performance_metrics.lightgbm_f1);
      expect(info.status).toBe('production_ready');
      expect(info.createdAt).toBe(metaOf(productionDir).created_at);
    } finally {
      e.close();
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
