// Explanations of the bundled ensemble (docs/explain.md#benchmarks): each model's explain and the
// ensemble's, against LightGBM pred_contrib + XGBoost pred_contribs + shap's TreeExplainer on the
// forest called from Python on the same rows.
//   node bench/js/explain.bench.mjs [--rows 200] [--threads 0] [--python path] [--out results.json]
// The Python side needs tools/requirements-explain.txt (shap); without it only this package runs.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ProductionEnsemble } from '../../dist/index.js';
import { round } from './measure.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const rows = Number(arg('rows', '200'));
const threads = Number(arg('threads', '0'));
const python = arg('python', process.env.PRODUCTION_ENSEMBLE_EXPLAIN_PYTHON ?? join(root, '.venv', 'bin', 'python'));
const inputs = join(root, 'test', 'fixtures', 'production', 'inputs.f64');

const all = new Float64Array(readFileSync(inputs).buffer.slice(0));
const x = all.slice(0, rows * 12);

const model = await ProductionEnsemble.load(join(root, 'models', 'production'), threads ? { threads } : {});
const m = model.models;
// Warm-up: the leaf tables are built on first use.
for (const f of [() => m.lightgbm.explain(x.subarray(0, 12)), () => m.xgboost.explain(x.subarray(0, 12)), () => m.randomForest.explain(x.subarray(0, 12)), () => model.explain(x.subarray(0, 12))]) f();
const time = async (fn) => {
  const t = performance.now();
  await fn();
  return (performance.now() - t) / 1000;
};
const ours = {
  lightgbm: await time(() => m.lightgbm.explainAsync(x)),
  xgboost: await time(() => m.xgboost.explainAsync(x)),
  random_forest: await time(() => m.randomForest.explainAsync(x)),
  ensemble: await time(() => model.explainAsync(x)),
};
model.close();

let peer = null;
if (existsSync(python)) {
  const r = spawnSync(python, [join(root, 'bench', 'python', 'explain_peer.py'), join(root, 'models', 'production'), inputs, String(rows), '--threads', String(threads)], { encoding: 'utf8' });
  if (r.status === 0) peer = JSON.parse(r.stdout.trim().split('\n').pop());
  else console.error(`python peer failed (${python}):\n${r.stderr.split('\n').slice(-3).join('\n')}`);
} else {
  console.error(`no Python at ${python}: pass --python (a venv with tools/requirements-explain.txt)`);
}

const perRow = (s) => round((s / rows) * 1e3, 3);
console.log(`explain, ${rows} rows of test/fixtures/production/inputs.f64, threads ${threads || 'all'}: ms per row`);
console.log('model          | this package | Python library | speed-up');
for (const k of ['lightgbm', 'xgboost', 'random_forest']) {
  const p = peer?.[k];
  console.log(`${k.padEnd(14)} | ${String(perRow(ours[k])).padStart(12)} | ${String(p ? perRow(p) : '-').padStart(14)} | ${p ? `${round(p / ours[k], 1)}x` : '-'}`);
}
const sum = ours.lightgbm + ours.xgboost + ours.random_forest;
console.log(`three models   | ${String(perRow(sum)).padStart(12)} | ${String(peer ? perRow(peer.total) : '-').padStart(14)} | ${peer ? `${round(peer.total / sum, 1)}x` : '-'}`);
console.log(`ensemble       | ${String(perRow(ours.ensemble)).padStart(12)} | ${String(peer ? perRow(peer.total) : '-').padStart(14)} | ${peer ? `${round(peer.total / ours.ensemble, 1)}x` : '-'}`);
const out = arg('out', join(root, 'bench', 'results', `explain-${new Date().toISOString().slice(0, 10)}.json`));
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify({ rows, threads, seconds: ours, python: peer }, null, 2)}\n`);
console.log(`wrote ${out}`);
