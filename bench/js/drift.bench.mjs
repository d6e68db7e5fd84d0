// What drift monitoring wired into scoring costs (docs/drift.md#overhead): batch scoring of the
// bundled ensemble with and without ensemble.monitorDrift(), same batches, alternating.
//   node bench/js/drift.bench.mjs [--rows 65536] [--rounds 10] [--threads 0]
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ProductionEnsemble } from '../../dist/index.js';
import { median, round } from './measure.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return Number(i >= 0 ? process.argv[i + 1] : fallback);
};
const rows = arg('rows', 65536);
const rounds = arg('rounds', 10);
const threads = arg('threads', 0);
const lines = readFileSync(join(root, 'data', 'sample_features.csv'), 'utf8').trim().split('\n').slice(1);
const sample = lines.map((l) => l.split(',').slice(1).map(Number));
const x = new Float64Array(rows * 12);
for (let r = 0; r < rows; r++) x.set(sample[r % sample.length], r * 12);

const model = await ProductionEnsemble.load(join(root, 'models', 'production'), threads ? { threads } : {});
const once = async (sync) => {
  const t = performance.now();
  if (sync) model.predictProba(x);
  else await model.predictProbaAsync(x);
  return performance.now() - t;
};
const result = {};
for (const sync of [true, false]) {
  const plain = [];
  const watched = [];
  const monitor = model.monitorDrift({ window: 5000 });
  model.stopDriftMonitor();
  // One of each per round, the order swapped every round (what runs second pays the first's GC).
  for (let i = 0; i < rounds + 2; i++) {
    for (const watch of i % 2 ? [true, false] : [false, true]) {
      if (watch) model.monitorDrift({ window: 5000 });
      else model.stopDriftMonitor();
      const ms = await once(sync);
      if (i >= 2) (watch ? watched : plain).push(ms);
    }
  }
  model.stopDriftMonitor();
  // The monitor's own work on one batch, beside the scoring it watches.
  const scores = model.predictModels(x);
  const own = [];
  for (let i = 0; i < rounds; i++) {
    const t = performance.now();
    monitor.observeFeatures(x, rows);
    monitor.observeScores(scores);
    monitor.check();
    own.push(performance.now() - t);
  }
  const p = median(plain);
  const w = median(watched);
  result[sync ? 'predictProba' : 'predictProbaAsync'] = {
    plainMs: round(p, 2),
    monitoredMs: round(w, 2),
    overheadPercent: round((100 * (w - p)) / p, 1),
    monitorOwnMs: round(median(own), 3),
  };
}
model.close();
console.log(`drift monitoring, batches of ${rows} rows, ${rounds} rounds each, threads ${threads || 'all'}:`);
console.log(JSON.stringify(result, null, 2));
