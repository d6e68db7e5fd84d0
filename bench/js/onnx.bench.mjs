// The onnxruntime-node peer on its own: the rows and the libraries' reference predictions of
// test/fixtures/production (as ensemble.bench.mjs loads them), runOnnxPeer, a short summary on
// stdout and the whole result in bench/results/onnx-<date>[-quick].json.
// Usage: node bench/js/onnx.bench.mjs [--quick] [--model-dir DIR] [--fixtures DIR] [--sizes N,N,...]
//   --model-dir: another model directory of the same layout (tools/train_models.py --out DIR);
//   --fixtures: the rows (inputs.f64) and, when made for the same model files, the libraries'
//   predictions (reference.json); for other model files bench/python/library_reference.py
//   computes the libraries' predictions on those rows; --sizes: batch sizes instead of the
//   default 100,10000[,1000000] (a large ensemble scores ~10,000 rows/s: 1,000,000 rows take minutes).
// Needs `node bench/setup.mjs` once (onnxruntime-node in bench/, the converters in .venv).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, platform, release, tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { Command } from 'commander';
import { runOnnxPeer } from './peers/onnxruntime.mjs';

const root = resolve(import.meta.dirname, '..', '..');
const argv = process.argv.slice(2);
const opts = new Command()
  .name('onnx.bench.mjs')
  .option('--quick', 'fewer calls, no 1,000,000-row batches')
  .option('--model-dir <dir>', 'model directory', join(root, 'models', 'production'))
  .option('--fixtures <dir>', 'rows (inputs.f64) and reference predictions', join(root, 'test', 'fixtures', 'production'))
  .option('--sizes <n,n,...>', 'batch sizes')
  .parse()
  .opts();
const quick = Boolean(opts.quick);
const modelDir = resolve(opts.modelDir);
const fixtures = resolve(opts.fixtures);
const cores = availableParallelism();
// The same configuration as ensemble.bench.mjs, so the numbers line up.
const CFG = quick
  ? { calls: 2_000, warmup: 500, asyncCalls: 1_000, inflightCalls: 5_000, sizes: [100, 10_000], budget: 0.3, loads: 3 }
  : { calls: 20_000, warmup: 2_000, asyncCalls: 5_000, inflightCalls: 50_000, sizes: [100, 10_000, 1_000_000], budget: 1.0, loads: 5 };
const sizes = opts.sizes ? opts.sizes.split(',').map(Number) : null;
if (sizes && !sizes.every((n) => Number.isInteger(n) && n > 0)) throw new Error('--sizes takes positive integers: --sizes 100,10000');
if (sizes) CFG.sizes = sizes;
const NF = 12;
const log = (msg) => process.stderr.write(`${msg}\n`);

const raw = readFileSync(join(fixtures, 'inputs.f64'));
const x = new Float64Array(raw.length / 8);
new Uint8Array(x.buffer).set(raw);
const rows = x.length / NF;
const fixtureRef = JSON.parse(readFileSync(join(fixtures, 'reference.json'), 'utf8'));
const sha = (f) => createHash('sha256').update(readFileSync(f)).digest('hex');
const files = { lightgbm: 'lightgbm.txt', xgboost: 'xgboost.json', random_forest: 'random_forest.forest' };
const matches = Object.entries(files).every(([k, f]) => fixtureRef.model_sha256?.[k] === sha(join(modelDir, f)));
let ref = fixtureRef;
let groups = fixtureRef.groups;
let referenceNote = `${join(fixtures, 'reference.json')} (the libraries' predictions for these model files)`;
if (!matches) {
  // Other models than the fixtures': the libraries' own predictions on the same rows, computed
  // (and cached) by bench/python/library_reference.py. The fixture's threshold groups target the
  // bundled models' splits, so only the holdout/NaN/extreme groups are kept.
  const dirKey = createHash('sha256').update(modelDir).digest('hex').slice(0, 12);
  const out = join(tmpdir(), 'production-ensemble-bench', `reference-${dirKey}.json`);
  log(`${modelDir} is not the fixtures' model: library predictions on the same rows -> ${out} ...`);
  const r = spawnSync(join(root, '.venv', 'bin', 'python'), [join(root, 'bench', 'python', 'library_reference.py'), modelDir, join(fixtures, 'inputs.f64'), out], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) {
    log(`library_reference.py exited ${r.status ?? r.signal}`);
    process.exit(1);
  }
  ref = JSON.parse(readFileSync(out, 'utf8'));
  groups = fixtureRef.groups?.filter((g) => !g.name.startsWith('thresholds_'));
  referenceNote = `${out} (bench/python/library_reference.py: the libraries' predictions for ${modelDir} on ${join(fixtures, 'inputs.f64')})`;
}
const pick = (kind) => Object.fromEntries(['lightgbm', 'xgboost', 'random_forest', 'ensemble'].map((k) => [k, ref[k][kind]]));

// The machine may be shared: CPU time other processes used during the run (Linux /proc), so a
// reader can tell a quiet run from a disturbed one. Clock ticks are 1/100 s on Linux.
function cpuTicks() {
  try {
    const all = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const busy = all[0] + all[1] + all[2] + all[5] + all[6] + all[7]; // user nice system irq softirq steal
    const self = readFileSync('/proc/self/stat', 'utf8').replace(/^.*\) /, '').split(' ').map(Number);
    return { busy, self: self[11] + self[12] + self[13] + self[14] }; // utime stime cutime cstime
  } catch {
    return null;
  }
}
const cpuStart = cpuTicks();
const started = performance.now();
const onnx = await runOnnxPeer({
  root, modelDir, x, nf: NF, rows, cfg: CFG, cores, log,
  reference: pick('f64'),
  referenceF32: pick('f32'),
  groups: groups?.map(({ name, start, count }) => ({ name, start, count })),
});
if (onnx.error) {
  log(`onnx peer failed: ${onnx.error}`);
  process.exit(1);
}

const fmt = (v) => (v === undefined || v === null ? '-' : typeof v === 'number' ? (Math.abs(v) >= 1e5 ? v.toExponential(3) : String(Number(v.toPrecision(6)))) : String(v));
const lines = [];
const ex = onnx.maxAbsDiffFromReference;
for (const m of ['lightgbm', 'xgboost', 'random_forest', 'ensemble', 'ensembleFused']) {
  lines.push([`max |diff| ${m} (vs f64 / vs f32 ref)`, '', `${fmt(ex.f64[m]?.maxAbsDiff)} / ${fmt(ex.f32[m]?.maxAbsDiff)}`]);
}
for (const m of ['lightgbm', 'random_forest']) {
  const r = ex.rawConverterOutput[m];
  lines.push([`  ${m} without make_onnx's fixes`, '', `${fmt(r.f64?.maxAbsDiff)} / ${fmt(r.f32?.maxAbsDiff)}`]);
}
lines.push(['load, three sessions', 'ms', fmt(onnx.load.threeSessionsMs)]);
lines.push(['RSS after load (load delta)', 'MiB', `${onnx.load.rssMiB.afterLoad} (+${onnx.load.rssMiB.loadDelta})`]);
for (const [k, v] of Object.entries(onnx.singleRow)) {
  if (v && typeof v === 'object' && 'medianUs' in v) lines.push([`single row ${k} median / p99`, 'us', `${fmt(v.medianUs)} / ${fmt(v.p99Us)}`]);
}
lines.push(['ensemble, 64 in flight', 'calls/s', fmt(onnx.async.inFlight64.callsPerSecond)]);
lines.push(['ensemble fused, 64 in flight', 'calls/s', fmt(onnx.async.inFlight64Fused.callsPerSecond)]);
for (const r of onnx.batch) lines.push([`ensemble batch ${r.rows} rows, ${r.threads} thr (${r.how}, ${r.variant})`, 'rows/s', fmt(r.rowsPerSecond)]);
for (const [m, v] of Object.entries(onnx.models)) {
  for (const r of v.batch) lines.push([`${m} batch ${r.rows} rows, ${r.threads} thr (${r.variant})`, 'rows/s', fmt(r.rowsPerSecond)]);
}
const w = [0, 1, 2].map((i) => Math.max(...lines.map((l) => l[i].length)));
for (const l of lines) console.log(`${l[0].padEnd(w[0])}  ${l[1].padEnd(w[1])}  ${l[2].padStart(w[2])}`);

const cpuEnd = cpuTicks();
const wall = (performance.now() - started) / 1e3;
const otherCpu = cpuStart && cpuEnd ? ((cpuEnd.busy - cpuStart.busy) - (cpuEnd.self - cpuStart.self)) / 100 : null;
if (otherCpu !== null) console.log(`other processes used ${otherCpu.toFixed(1)} CPU-seconds during the ${wall.toFixed(0)} s run${otherCpu > 0.05 * wall ? ' (numbers may be disturbed)' : ''}`);
const date = new Date().toISOString();
const results = {
  date,
  quick,
  command: `node bench/js/onnx.bench.mjs${argv.length ? ` ${argv.join(' ')}` : ''}`,
  seconds: Number(wall.toFixed(1)),
  machine: {
    cpu: cpus()[0]?.model, cores, platform: `${platform()} ${release()}`, node: process.versions.node,
    otherProcessesCpuSeconds: otherCpu === null ? null : Number(otherCpu.toFixed(1)),
  },
  inputs: { file: join(fixtures, 'inputs.f64'), rows, tiledTo: CFG.sizes, reference: referenceNote },
  config: { ...CFG, inFlight: 64 },
  onnx,
};
const outDir = join(root, 'bench', 'results');
mkdirSync(outDir, { recursive: true });
// Another model directory gets its own file: its size from the metadata, else its name.
let tag = '';
if (modelDir !== join(root, 'models', 'production')) {
  let size;
  try {
    size = JSON.parse(readFileSync(join(modelDir, 'production_model_metadata.json'), 'utf8')).training?.size;
  } catch {}
  tag = `-${size && size !== 'default' ? size : basename(modelDir)}`;
}
const outFile = join(outDir, `onnx-${date.slice(0, 10)}${tag}${quick ? '-quick' : ''}.json`);
writeFileSync(outFile, `${JSON.stringify(results, null, 2)}\n`);
console.log(`wrote ${outFile}`);
