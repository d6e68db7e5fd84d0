#!/usr/bin/env node
// RSS over many hot swaps (issue 13, item 6): ProductionEnsemble.reload() called N times in a row,
// a row scored after each, RSS sampled every tenth of the run. Two model sets: a small 7-feature
// ensemble built from the test fixtures (fast: 10,000 reloads in ~2-3 minutes on 2 cores) and the
// bundled ensemble (7.5 MB of model files, ~250 ms a load: fewer reloads).
// Usage: node --expose-gc bench/js/reload-rss.mjs [--small N] [--bundled N] [--json FILE]
//   defaults: --small 10000 --bundled 0 (the bundled set: e.g. --bundled 300, ~1.5 minutes).
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const root = resolve(import.meta.dirname, '..', '..');
const { ProductionEnsemble } = await import(join(root, 'dist', 'index.js'));
const { values } = parseArgs({ options: { small: { type: 'string', default: '10000' }, bundled: { type: 'string', default: '0' }, json: { type: 'string' } } });

const mb = (b) => Math.round((b / 2 ** 20) * 10) / 10;
const sha256 = (p) => createHash('sha256').update(readFileSync(p)).digest('hex');

// The fixture models as a model directory (as test/serving-helpers.ts builds it).
function smallDir(to) {
  mkdirSync(to, { recursive: true });
  const m = join(root, 'test', 'fixtures', 'models');
  copyFileSync(join(m, 'lgb_binary_nan_7f', 'model.txt'), join(to, 'lightgbm.txt'));
  copyFileSync(join(m, 'xgb_binary_nan_7f', 'model.json'), join(to, 'xgboost.json'));
  copyFileSync(join(m, 'rf_binary_nan_7f', 'model.forest'), join(to, 'random_forest.forest'));
  const file = (name, format) => ({ file: name, format, sha256: sha256(join(to, name)) });
  writeFileSync(
    join(to, 'production_model_metadata.json'),
    JSON.stringify({
      schema_version: 1,
      feature_names: ['a', 'b', 'c', 'd', 'e', 'f', 'g'],
      model_files: {
        lightgbm: file('lightgbm.txt', 'lightgbm-text'),
        xgboost: file('xgboost.json', 'xgboost-json'),
        random_forest: file('random_forest.forest', 'production-ensemble-forest-v1'),
      },
    }),
  );
  return to;
}

async function run(name, dir, n) {
  const m = await ProductionEnsemble.load(dir);
  const row = new Float64Array(m.nFeatures).fill(0.5);
  const samples = [];
  const sample = (i) => {
    globalThis.gc?.();
    samples.push({ reloads: i, rssMB: mb(process.memoryUsage().rss) });
  };
  sample(0);
  const every = Math.max(1, Math.floor(n / 10));
  const t = performance.now();
  for (let i = 1; i <= n; i++) {
    await m.reload();
    m.predictOne(row);
    if (i % every === 0) sample(i);
  }
  const seconds = (performance.now() - t) / 1e3;
  m.close();
  const first = samples.find((s) => s.reloads >= every) ?? samples[0];
  const last = samples[samples.length - 1];
  const r = { set: name, reloads: n, seconds: Math.round(seconds * 10) / 10, msPerReload: Math.round((seconds / n) * 1e4) / 10, samples, growthAfterFirstTenthMB: Math.round((last.rssMB - first.rssMB) * 10) / 10 };
  process.stdout.write(`${name}: ${n} reloads in ${r.seconds} s (${r.msPerReload} ms each); RSS MB ${samples.map((s) => s.rssMB).join(' ')}; growth after the first tenth ${r.growthAfterFirstTenthMB} MB\n`);
  return r;
}

const tmp = mkdtempSync(join(tmpdir(), 'pe-reload-rss-'));
const results = [];
try {
  if (Number(values.small) > 0) results.push(await run('small (7 features, 40+40+20 trees)', smallDir(join(tmp, 'small')), Number(values.small)));
  if (Number(values.bundled) > 0) results.push(await run('bundled (models/production)', join(root, 'models', 'production'), Number(values.bundled)));
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
if (values.json) writeFileSync(values.json, `${JSON.stringify({ node: process.version, gcExposed: typeof globalThis.gc === 'function', results }, null, 2)}\n`);
