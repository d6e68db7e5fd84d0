// Every model of the fixture zoo (test/fixtures/models, made by tools/make_fixture_models.py with
// the real libraries), scored through the public API and compared with the library's own output.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LightGBMModel, RandomForestModel, XGBoostModel } from '../dist/index.js';
import { expectClose, fixtures, readF64, readJson } from './helpers.js';

interface Reference {
  kind: 'lightgbm' | 'xgboost' | 'forest';
  file: string;
  files?: string[];
  n_features: number;
  n_classes: number;
  objective?: string;
  rows: number;
  predict_f64: number[];
  predict_f32: number[];
  margin_f64?: number[];
  predict_inf?: number[];
}

type AnyModel = LightGBMModel | XGBoostModel | RandomForestModel;

const zoo = join(fixtures, 'models');
const cases = existsSync(zoo)
  ? readdirSync(zoo, { withFileTypes: true })
      .filter((e) => e.isDirectory() && existsSync(join(zoo, e.name, 'reference.json')))
      .map((e) => e.name)
  : [];

// Models the package's tree engine scores (the others use the library: linear trees, categorical
// splits, several outputs, XGBoost dart).
// Every binary and regression model but categorical splits and linear trees (XGBoost dart too).
const engineScores = (name: string) => !/linear|multi|categorical/.test(name);

function loader(kind: Reference['kind']) {
  return kind === 'lightgbm' ? LightGBMModel : kind === 'xgboost' ? XGBoostModel : RandomForestModel;
}

const opened: AnyModel[] = [];
afterAll(() => {
  for (const m of opened) m.close();
});

it('the fixture zoo is present', () => {
  expect(cases.length).toBeGreaterThanOrEqual(20);
});

describe.each(cases)('%s', (name) => {
  const dir = join(zoo, name);
  const ref = readJson<Reference>(join(dir, 'reference.json'));
  const x64 = readF64(join(dir, 'inputs.f64'));
  const x32 = Float32Array.from(x64);
  const width = ref.predict_f64.length / ref.rows;
  const files = ref.files ?? [ref.file];

  const scorers = ref.kind === 'forest' ? (['auto'] as const) : (['auto', 'library'] as const);
  describe.each(files.flatMap((f) => scorers.map((s) => [f, s] as const)))('%s (scorer %s)', (file, scorer) => {
    const path = join(dir, file);
    const Loader = loader(ref.kind);
    let model: AnyModel;

    it('loads from a file and reports its shape', async () => {
      model = await Loader.load(path, { scorer });
      opened.push(model);
      expect(model.nFeatures).toBe(ref.n_features);
      expect(x64.length).toBe(ref.rows * ref.n_features);
      if (!(model instanceof RandomForestModel)) {
        const want = scorer === 'auto' && engineScores(name) ? 'engine' : 'library';
        expect(model.scorer, `${name}/${file}: ${model.scorerNote}`).toBe(want);
      }
    });

    if (ref.kind !== 'forest' && scorer === 'auto' && engineScores(name)) it('the engine is bit-identical to the library', async () => {
      const lib = await Loader.load(path, { scorer: 'library' });
      try {
        const m = model as LightGBMModel | XGBoostModel;
        const l = lib as LightGBMModel | XGBoostModel;
        const inputs: [string, Float64Array | Float32Array][] = [['f64', x64], ['f32', x32]];
        if (ref.kind === 'lightgbm' && existsSync(join(dir, 'inputs_inf.f64'))) inputs.push(['inf', readF64(join(dir, 'inputs_inf.f64'))]);
        for (const [label, x] of inputs) {
          expectClose(m.predictProba(x), l.predictProba(x), `${name}/${file} engine vs library ${label}`, width, 0);
          expectClose(m.predictRaw(x), l.predictRaw(x), `${name}/${file} engine vs library margin ${label}`, width, 0);
        }
      } finally {
        lib.close();
      }
    });

    it('batch float64 matches the library', () => {
      expectClose(model.predictProba(x64), ref.predict_f64, `${name}/${file} f64`, width);
    });

    it('batch float32 matches the library', () => {
      expectClose(model.predictProba(x32), ref.predict_f32, `${name}/${file} f32`, width);
    });

    it('async matches the library', async () => {
      expectClose(await model.predictProbaAsync(x64), ref.predict_f64, `${name}/${file} async`, width);
    });

    it('predictOne: one number per row as the library gives it, or a pointer to predictProba', () => {
      const row = (r: number) => x64.subarray(r * ref.n_features, (r + 1) * ref.n_features);
      // The one number: the only output, or P(classes[1]) of a binary forest (its second column).
      const one = width === 1 ? 0 : ref.kind === 'forest' && width === 2 ? 1 : -1;
      if (one < 0) {
        expect(() => model.predictOne(row(0))).toThrow(TypeError);
        expect(() => model.predictOne(row(0))).toThrow(/use predictProba\(\[row\]\)/);
        const got = new Float64Array(ref.predict_f64.length);
        for (let r = 0; r < ref.rows; r++) got.set(model.predictProba(row(r)), r * width);
        expectClose(got, ref.predict_f64, `${name}/${file} single-row batches`, width);
        return;
      }
      const got = Array.from({ length: ref.rows }, (_, r) => model.predictOne(row(r)));
      for (const p of got) expect(typeof p).toBe('number');
      expectClose(got, ref.predict_f64.filter((_, i) => i % width === one), `${name}/${file} single-row`);
    });

    if (ref.margin_f64 !== undefined) it('raw margins match the library', () => {
      const m = model as LightGBMModel | XGBoostModel;
      const margin = ref.margin_f64 as number[];
      expectClose(m.predictRaw(x64), margin, `${name}/${file} margin`, margin.length / ref.rows);
    });

    if (ref.kind === 'lightgbm' && existsSync(join(dir, 'inputs_inf.f64')) && ref.predict_inf !== undefined) it(
      'LightGBM scores ±Inf as LightGBM does',
      () => {
        const xi = readF64(join(dir, 'inputs_inf.f64'));
        expectClose(model.predictProba(xi), ref.predict_inf as number[], `${name}/${file} inf`, width);
      },
    );

    if (ref.kind === 'lightgbm') it('loads from a string too', () => {
      const again = LightGBMModel.fromString(readFileSync(path, 'utf8'));
      try {
        expectClose(again.predictProba(x64), ref.predict_f64, `${name}/${file} string`, width);
      } finally {
        again.close();
      }
    });

    it('loads from a buffer too', () => {
      const again = Loader.loadSync(readFileSync(path));
      try {
        expectClose(again.predictProba(x64.subarray(0, 10 * ref.n_features)), ref.predict_f64.slice(0, 10 * width), `${name}/${file} buffer`, width);
      } finally {
        again.close();
      }
    });
  });
});
