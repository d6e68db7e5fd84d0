// The package's contenders against the original Python ensemble, same models (models/production)
// and same rows (test/fixtures/production/inputs.f64, tiled): single-row latency, batch rows/s at
// 1 thread and all cores, async latency and 64-in-flight throughput, each model alone, load time
// and RSS. Runs bench/python/ensemble_peer.py as a child process, prints a table of ratios and
// writes bench/results/ensemble-<date>[-quick].json.
// Usage: node bench/js/ensemble.bench.mjs [--quick] [--no-python]
//   full: ~2-4 minutes on 2 cores; --quick: no 1,000,000-row batches, fewer calls (< 1 minute).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, platform, release } from 'node:os';
import { join, resolve } from 'node:path';

const rssStart = process.memoryUsage().rss;
const root = resolve(import.meta.dirname, '..', '..');
const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const withPython = !argv.includes('--no-python');
const cores = availableParallelism();
const CFG = quick
  ? { calls: 2_000, warmup: 500, asyncCalls: 1_000, inflightCalls: 5_000, sizes: [100, 10_000], budget: 0.3, loads: 3 }
  : { calls: 20_000, warmup: 2_000, asyncCalls: 5_000, inflightCalls: 50_000, sizes: [100, 10_000, 1_000_000], budget: 1.0, loads: 5 };
const IN_FLIGHT = 64;
const NF = 12;
const MiB = 1024 * 1024;
const log = (msg) => process.stderr.write(`${msg}\n`);

// ---------------------------------------------------------------------------------------------
// The Python peer first, while this process is idle (no OpenMP threads spinning beside it).

let python = null;
if (withPython) {
  const exe = join(root, '.venv', 'bin', 'python');
  const peer = join(root, 'bench', 'python', 'ensemble_peer.py');
  if (!existsSync(exe)) {
    python = { error: `${exe} not found (npm run setup:python)` };
  } else {
    log('python peer: running bench/python/ensemble_peer.py ...');
    const r = spawnSync(exe, [peer, ...(quick ? ['--quick'] : [])], {
      cwd: root, encoding: 'utf8', maxBuffer: 1 << 26, stdio: ['ignore', 'pipe', 'inherit'],
    });
    python = r.status === 0 ? JSON.parse(r.stdout) : { error: `exit ${r.status ?? r.signal}` };
  }
  if (python.error) log(`python peer failed: ${python.error}`);
}

// ---------------------------------------------------------------------------------------------
// Load: time and RSS, before anything else is allocated.

const { ProductionEnsemble } = await import(join(root, 'dist', 'index.js'));
const rssImported = process.memoryUsage().rss;
let t0 = performance.now();
const ens = await ProductionEnsemble.load(undefined, { threads: cores });
const firstLoadMs = performance.now() - t0;
const rssLoaded = process.memoryUsage().rss;
const reloadMs = [];
const reloadSyncMs = [];
for (let i = 0; i < CFG.loads; i++) {
  t0 = performance.now();
  (await ProductionEnsemble.load(undefined, { threads: cores })).close();
  reloadMs.push(performance.now() - t0);
  t0 = performance.now();
  ProductionEnsemble.loadSync(undefined, { threads: cores }).close();
  reloadSyncMs.push(performance.now() - t0);
}
const ens1 = await ProductionEnsemble.load(undefined, { threads: 1 });
const info = ens.getModelInfo();

// ---------------------------------------------------------------------------------------------
// Rows, correctness against the libraries' reference predictions.

const fixtures = join(root, 'test', 'fixtures', 'production');
const raw = readFileSync(join(fixtures, 'inputs.f64'));
const x = new Float64Array(raw.length / 8);
new Uint8Array(x.buffer).set(raw);
const nRows = x.length / NF;
const rowViews = Array.from({ length: nRows }, (_, i) => x.subarray(i * NF, (i + 1) * NF));
const reference = JSON.parse(readFileSync(join(fixtures, 'reference.json'), 'utf8'));
const maxDiff = (got, want, stride = 1, col = 0) => {
  let m = 0;
  for (let i = 0; i < want.length; i++) m = Math.max(m, Math.abs(got[i * stride + col] - want[i]));
  return m;
};
const one = new Float64Array(nRows);
for (let i = 0; i < nRows; i++) one[i] = ens.predictOne(rowViews[i]);
const correctness = {
  ensemble: maxDiff(ens.predictProba(x), reference.ensemble.f64),
  ensembleThreads1: maxDiff(ens1.predictProba(x), reference.ensemble.f64),
  ensembleAsync: maxDiff(await ens.predictProbaAsync(x), reference.ensemble.f64),
  ensemblePredictOne: maxDiff(one, reference.ensemble.f64),
  lightgbm: maxDiff(ens.models.lightgbm.predictProba(x), reference.lightgbm.f64),
  xgboost: maxDiff(ens.models.xgboost.predictProba(x), reference.xgboost.f64),
  randomForest: maxDiff(ens.models.randomForest.predictProba(x), reference.random_forest.f64, 2, 1),
};
log(`max |difference| from the libraries' reference: ${JSON.stringify(correctness)}`);

// ---------------------------------------------------------------------------------------------
// Measurement helpers.

const now = process.hrtime.bigint;
function summarize(ns, calls, loopNs) {
  ns.sort();
  const q = (p) => ns[Math.min(ns.length - 1, Math.max(0, Math.ceil(p * ns.length) - 1))] / 1e3;
  const mid = ns.length >> 1;
  const median = (ns.length % 2 ? ns[mid] : (ns[mid - 1] + ns[mid]) / 2) / 1e3;
  const out = { calls, medianUs: round(median), p99Us: round(q(0.99)), minUs: round(ns[0] / 1e3) };
  if (loopNs !== undefined) out.meanUs = round(loopNs / calls / 1e3);
  return out;
}
const round = (v, d = 3) => Number(v.toFixed(d));

/** Per-call latency of fn(row) over `calls` rows cycled from the inputs, after warm-up. */
function latency(fn, calls = CFG.calls) {
  for (let i = 0; i < CFG.warmup; i++) fn(rowViews[i % nRows]);
  const ns = new Float64Array(calls);
  const start = now();
  for (let i = 0; i < calls; i++) {
    const r = rowViews[i % nRows];
    const t = now();
    fn(r);
    ns[i] = Number(now() - t);
  }
  return summarize(ns, calls, Number(now() - start));
}

async function asyncLatency(fn, calls = CFG.asyncCalls) {
  for (let i = 0; i < Math.min(CFG.warmup, 500); i++) await fn(rowViews[i % nRows]);
  const ns = new Float64Array(calls);
  const start = now();
  for (let i = 0; i < calls; i++) {
    const r = rowViews[i % nRows];
    const t = now();
    await fn(r);
    ns[i] = Number(now() - t);
  }
  return summarize(ns, calls, Number(now() - start));
}

/** `total` one-row calls with `depth` of them in flight at any time. */
async function inFlight(fn, total = CFG.inflightCalls, depth = IN_FLIGHT) {
  const run = async (n) => {
    let next = 0;
    const worker = async () => {
      while (next < n) await fn(rowViews[next++ % nRows]);
    };
    await Promise.all(Array.from({ length: depth }, worker));
  };
  await run(Math.ceil(total / 10)); // warm-up
  const start = now();
  await run(total);
  const s = Number(now() - start) / 1e9;
  return { calls: total, inFlight: depth, seconds: round(s, 6), callsPerSecond: round(total / s, 1), usPerCall: round((s / total) * 1e6) };
}

/** Median seconds of fn(matrix) over repeats within the time budget. */
function batch(fn, m, rows, threads) {
  fn(m.subarray(0, Math.min(rows, 1000) * NF));
  const secs = [];
  let spent = 0;
  const maxReps = rows <= 10_000 ? 200 : 3;
  while (secs.length < maxReps && (secs.length < 3 || spent < CFG.budget)) {
    const t = now();
    fn(m);
    const s = Number(now() - t) / 1e9;
    secs.push(s);
    spent += s;
    if (s > CFG.budget) break;
  }
  secs.sort((a, b) => a - b);
  const med = secs[secs.length >> 1];
  return { rows, threads, reps: secs.length, medianSeconds: round(med, 6), minSeconds: round(secs[0], 6), rowsPerSecond: round(rows / med, 1) };
}

function tile(rows) {
  const out = new Float64Array(rows * NF);
  for (let off = 0; off < out.length; off += x.length) out.set(x.subarray(0, Math.min(x.length, out.length - off)), off);
  return out;
}

// ---------------------------------------------------------------------------------------------
// The package.

const pkg = {
  load: {
    firstMs: round(firstLoadMs), reloadMedianMs: round(median(reloadMs)), reloadSyncMedianMs: round(median(reloadSyncMs)),
    rssMiB: { start: round(rssStart / MiB, 1), afterImport: round(rssImported / MiB, 1), afterLoad: round(rssLoaded / MiB, 1) },
  },
  maxAbsDiffFromReference: correctness,
  timerOverhead: latency(() => {}),
  singleRow: {},
  async: {},
  batch: [],
  models: { lightgbm: { batch: [] }, xgboost: { batch: [] }, randomForest: { batch: [] } },
};
function median(v) {
  const s = [...v].sort((a, b) => a - b);
  return s[s.length >> 1];
}

log('single row ...');
pkg.singleRow.predictOne = latency((r) => ens.predictOne(r));
pkg.singleRow.predictOneThreads1 = latency((r) => ens1.predictOne(r));
pkg.singleRow.predictProba1Row = latency((r) => ens.predictProba(r));
for (const [name, m] of Object.entries(ens.models)) pkg.models[name].predictOne = latency((r) => m.predictOne(r));
log(`  predictOne median ${pkg.singleRow.predictOne.medianUs} us, p99 ${pkg.singleRow.predictOne.p99Us} us`);

log('async ...');
pkg.async.latency1Row = await asyncLatency((r) => ens.predictProbaAsync(r));
pkg.async.overheadUs = round(pkg.async.latency1Row.medianUs - pkg.singleRow.predictProba1Row.medianUs);
pkg.async.inFlight64 = await inFlight((r) => ens.predictProbaAsync(r));
log(`  async 1 row median ${pkg.async.latency1Row.medianUs} us; 64 in flight ${pkg.async.inFlight64.callsPerSecond} calls/s`);

const big = tile(Math.max(...CFG.sizes));
for (const rows of CFG.sizes) {
  const m = big.subarray(0, rows * NF);
  for (const [threads, e] of cores > 1 ? [[1, ens1], [cores, ens]] : [[1, ens1]]) {
    const r = batch((v) => e.predictProba(v), m, rows, threads);
    pkg.batch.push(r);
    log(`batch ${rows} rows, ${threads} thread(s): ${r.rowsPerSecond.toFixed(0)} rows/s (${r.reps} reps)`);
    for (const [name, model] of Object.entries(e.models)) {
      pkg.models[name].batch.push(batch((v) => model.predictProba(v), m, rows, threads));
    }
  }
}
pkg.rssMiBAtEnd = round(process.memoryUsage().rss / MiB, 1);
ens.close();
ens1.close();

// ---------------------------------------------------------------------------------------------
// Table: ratios to the Python ensemble (> 1 means this package is better).

const table = [];
const py = python && !python.error ? python : null;
const pyModel = { lightgbm: 'lightgbm', xgboost: 'xgboost', randomForest: 'random_forest' };
const add = (what, unit, ours, theirs, higherIsBetter) => {
  const ratio = ours && theirs ? (higherIsBetter ? ours / theirs : theirs / ours) : null;
  table.push({ what, unit, package: ours, python: theirs ?? null, ratio: ratio === null ? null : round(ratio, 2) });
};
add('load (first, incl. dlopen)', 'ms', pkg.load.firstMs, py && py.load.seconds * 1e3, false);
add('RSS after load', 'MiB', pkg.load.rssMiB.afterLoad, py && py.load.rssMiB.afterLoad, false);
add('ensemble predictOne median', 'us', pkg.singleRow.predictOne.medianUs, py?.singleRow.ensemble.medianUs, false);
add('ensemble predictOne p99', 'us', pkg.singleRow.predictOne.p99Us, py?.singleRow.ensemble.p99Us, false);
add('ensemble predictProbaAsync 1 row median', 'us', pkg.async.latency1Row.medianUs, py?.singleRow.ensemble.medianUs, false);
add('ensemble async, 64 in flight', 'calls/s', pkg.async.inFlight64.callsPerSecond, py && 1e6 / py.singleRow.ensemble.meanUs, true);
for (const r of pkg.batch) {
  const p = py?.batch.find((b) => b.rows === r.rows && b.threads === r.threads);
  add(`ensemble batch ${r.rows} rows, ${r.threads} thr`, 'rows/s', r.rowsPerSecond, p?.rowsPerSecond, true);
}
for (const [name, m] of Object.entries(pkg.models)) {
  const pn = pyModel[name];
  add(`${name} predictOne median`, 'us', m.predictOne.medianUs, py?.singleRow[pn].medianUs, false);
  for (const r of m.batch) {
    const p = py?.batch.find((b) => b.rows === r.rows && b.threads === r.threads);
    add(`${name} batch ${r.rows} rows, ${r.threads} thr`, 'rows/s', r.rowsPerSecond, p?.perModelRowsPerSecond[pn], true);
  }
}

const fmt = (v) => (v === null || v === undefined ? '-' : v >= 1e5 ? v.toExponential(3) : String(round(v, v < 10 ? 3 : 1)));
const header = ['measurement', 'unit', 'production-ensemble', 'python', 'ratio'];
const lines = table.map((r) => [r.what, r.unit, fmt(r.package), fmt(r.python), r.ratio === null ? '-' : `${r.ratio}x`]);
const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
const print = (cells) => console.log(cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  '));
print(header);
print(widths.map((w) => '-'.repeat(w)));
lines.forEach(print);
console.log('ratio: how many times better this package is than the Python ensemble (latency: python/package; rows/s: package/python).');
console.log('per-model python batch rows/s: each model\'s share of the ensemble call; python single row is 1 thread.');

const date = new Date().toISOString();
const results = {
  date,
  quick,
  command: `node bench/js/ensemble.bench.mjs${quick ? ' --quick' : ''}`,
  machine: { cpu: cpus()[0]?.model, cores, platform: `${platform()} ${release()}`, node: process.versions.node },
  versions: info.versions,
  models: { directory: info.directory, lightgbmTrees: info.models.lightgbm.numTrees, xgboostTrees: info.models.xgboost.numTrees, forestTrees: info.models.randomForest.numTrees, forestNodes: info.models.randomForest.numNodes },
  inputs: { file: 'test/fixtures/production/inputs.f64', rows: nRows, tiledTo: CFG.sizes },
  config: { ...CFG, inFlight: IN_FLIGHT },
  package: pkg,
  python,
  table,
};
const outDir = join(root, 'bench', 'results');
mkdirSync(outDir, { recursive: true });
const outFile = join(outDir, `ensemble-${date.slice(0, 10)}${quick ? '-quick' : ''}.json`);
writeFileSync(outFile, `${JSON.stringify(results, null, 2)}\n`);
console.log(`wrote ${outFile}`);
