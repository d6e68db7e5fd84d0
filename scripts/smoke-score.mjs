#!/usr/bin/env node
// Scores reference rows through the package this file sits in (an installed tarball) and
// compares with the libraries' own predictions: the bundled ensemble on the engine, each booster
// on its library's C API, float64 and float32. Prints one JSON line; exits 1 on any difference
// over 1e-6 or a model the engine did not take. scripts/smoke-arm64.mjs runs it under qemu.
// Usage: node smoke-score.mjs <inputs.f64> <reference.json>   (test/fixtures/production)
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LightGBMModel, ProductionEnsemble, XGBoostModel } from '../dist/index.js';

const [inputsFile, referenceFile] = process.argv.slice(2);
const ref = JSON.parse(readFileSync(referenceFile, 'utf8'));
const raw = readFileSync(inputsFile);
const x64 = new Float64Array(raw.buffer, raw.byteOffset, raw.length / 8).slice();
const x32 = Float32Array.from(x64);

const worst = {};
const compare = (label, got, want) => {
  let d = 0;
  for (let i = 0; i < want.length; i++) d = Math.max(d, Math.abs(got[i] - Number(want[i])));
  worst[label] = got.length === want.length ? d : Number.POSITIVE_INFINITY;
};

const model = await ProductionEnsemble.load();
const info = model.getModelInfo();
for (const [side, x] of [['f64', x64], ['f32', x32]]) {
  compare(`ensemble ${side}`, model.predictProba(x), ref.ensemble[side]);
  const one = new Float64Array(ref.rows);
  for (let r = 0; r < ref.rows; r++) one[r] = model.predictOne(x.subarray(r * 12, r * 12 + 12));
  compare(`ensemble predictOne ${side}`, one, ref.ensemble[side]);
}
model.close();
// The libraries themselves: their C APIs through the bundled lib_lightgbm / libxgboost.
const dir = info.directory;
const lgb = await LightGBMModel.load(join(dir, 'lightgbm.txt'), { scorer: 'library' });
const xgb = await XGBoostModel.load(join(dir, 'xgboost.json'), { scorer: 'library' });
for (const [side, x] of [['f64', x64], ['f32', x32]]) {
  compare(`lightgbm library ${side}`, lgb.predictProba(x), ref.lightgbm[side]);
  compare(`xgboost library ${side}`, xgb.predictProba(x), ref.xgboost[side]);
}
const libraries = { lightgbm: lgb.library, xgboost: xgb.library };
lgb.close();
xgb.close();

const scorers = { lightgbm: info.models.lightgbm.scorer, xgboost: info.models.xgboost.scorer };
const notes = { lightgbm: info.models.lightgbm.scorerNote, xgboost: info.models.xgboost.scorerNote };
const bad = Object.entries(worst).filter(([, d]) => !(d <= 1e-6));
const notEngine = Object.entries(scorers).filter(([, s]) => s !== 'engine');
console.log(
  JSON.stringify({
    arch: process.arch,
    node: process.version,
    glibc: process.report?.getReport().header.glibcVersionRuntime,
    rows: ref.rows,
    scorers,
    notes,
    libraries,
    maxAbsDiff: worst,
  }),
);
if (bad.length > 0 || notEngine.length > 0) {
  console.error(`smoke test failed: ${[...bad.map(([k, d]) => `${k} differs by ${d}`), ...notEngine.map(([k, s]) => `${k} scored by the ${s}`)].join('; ')}`);
  process.exit(1);
}
