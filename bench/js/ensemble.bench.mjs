// The package against every peer a user would otherwise pick, on the same models and the same rows,
// in one run: the original Python ensemble (tools/ensemble_peer.py), the libraries' own C
// APIs called from C++ (bench/cpp, Google Benchmark), onnxruntime-node on ONNX conversions
// (bench/js/peers/onnxruntime.mjs), lleaves for the LightGBM model alone (bench/js/peers/lleaves.mjs,
// the compiled-code reference for LightGBMModel), and this package (engine scorer, and the C APIs
// behind it with scorer 'library'). Two model sets: the bundled ensemble and a large one trained by
// tools/train_models.py --size large (cached in $TMPDIR/production-ensemble-bench).
// Measured per set: single-row latency (median, p99), async latency and 64 calls in flight, batch
// rows/s at 100 / 10,000 / 1,000,000 rows on 1 thread and all cores, each model alone, load time
// and RSS, the cost of an empty native call, and the nodes a row visits (the unavoidable work).
// Writes bench/results/ensemble-<date>[-quick].json, prints a table per set, and (full runs)
// redraws docs/benchmarks.svg with bench/js/plot.mjs.
// Usage: node bench/js/ensemble.bench.mjs [--quick] [--sets default,large] [--out FILE]
//          [--no-python] [--no-native] [--no-onnx] [--no-lleaves]
//   full: ~20-30 minutes on 2 cores (both sets); --quick: the bundled set, no 1M-row batches, fewer
//   calls (under 2 minutes). Run `node bench/setup.mjs` first (npm run bench does).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, platform, release, tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { Command } from 'commander';
import * as measure from './measure.mjs';
import { compareLightGBM, printLightGBMTable, runLleavesPeer } from './peers/lleaves.mjs';

const { round, median } = measure;

const root = resolve(import.meta.dirname, '..', '..');
const program = new Command()
  .name('ensemble.bench.mjs')
  .option('--quick', 'the bundled set only, no 1,000,000-row batches, fewer calls')
  .option('--sets <names>', 'model sets: default, independent, large (comma-separated; full runs: all three)')
  .option('--out <file>', 'results file (default bench/results/ensemble-<date>[-quick].json)')
  .option('--no-python', 'skip the Python ensemble')
  .option('--no-native', 'skip the C++ suite (C API floor)')
  .option('--no-onnx', 'skip onnxruntime-node')
  .option('--no-lleaves', 'skip lleaves (the LightGBM model compiled with LLVM)')
  .parse();
const opts = program.opts();
const quick = Boolean(opts.quick);
const sets = (opts.sets ?? (quick ? 'default' : 'default,independent,large')).split(',');
const cores = availableParallelism();
const CFG = quick
  ? { calls: 2_000, warmup: 500, asyncCalls: 1_000, inflightCalls: 5_000, sizes: [100, 10_000], budget: 0.3, loads: 3 }
  : { calls: 20_000, warmup: 2_000, asyncCalls: 5_000, inflightCalls: 50_000, sizes: [100, 10_000, 1_000_000], budget: 1.0, loads: 5 };
const IN_FLIGHT = 64;
const NF = 12;
const MiB = 1024 * 1024;
const cache = join(tmpdir(), 'production-ensemble-bench');
const log = (msg) => process.stderr.write(`${msg}\n`);
const started = performance.now();

const { LightGBMModel, ProductionEnsemble } = await import(join(root, 'dist', 'index.js'));
const { binding } = await import(join(root, 'dist', 'binding.js'));

// ---------------------------------------------------------------------------------------------
// Model sets.

/** A path for the results: relative inside the repository, else as is. */
const displayPath = (p) => (relative(root, p).startsWith('..') ? p : relative(root, p));

function modelSet(name) {
  if (name === 'default') {
    return { name, description: '300 + 300 trees, forest of 100', dir: join(root, 'models', 'production'), fixtures: join(root, 'test', 'fixtures', 'production') };
  }
  // Trained on the spot by tools/train_models.py (cached): 'large' (1000-tree boosters, a 300-tree
  // forest) and 'independent' (the bundled shape, trained from another history: seed 1013), so
  // nothing is tuned to the bundled models.
  const trained = {
    large: { args: ['--size', 'large'], description: '1000 + 1000 trees, forest of 300' },
    independent: { args: ['--seed', '1013'], description: '300 + 300 trees, forest of 100, trained from another history (seed 1013)' },
  }[name];
  if (trained) {
    const dir = join(cache, `models-${name}`);
    const fixtures = join(dir, 'fixtures');
    if (!existsSync(join(fixtures, 'reference.json'))) {
      log(`${name} set: training with tools/train_models.py ${trained.args.join(' ')} (about a minute) ...`);
      rmSync(dir, { recursive: true, force: true });
      const r = spawnSync(join(root, '.venv', 'bin', 'python'), [join(root, 'tools', 'train_models.py'), ...trained.args, '--out', dir, '--fixtures', fixtures], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
      if (r.status !== 0) throw new Error(`tools/train_models.py ${trained.args.join(' ')} failed (${r.status ?? r.signal})`);
    }
    return { name, description: trained.description, dir, fixtures };
  }
  throw new Error(`unknown model set '${name}' (default, independent, large)`);
}

function readRows(fixtures) {
  const raw = readFileSync(join(fixtures, 'inputs.f64'));
  const x = new Float64Array(raw.length / 8);
  new Uint8Array(x.buffer).set(raw);
  const reference = JSON.parse(readFileSync(join(fixtures, 'reference.json'), 'utf8'));
  const up = (v, stride = 1, col = 0) => Float64Array.from({ length: x.length / NF }, (_, i) => v[i * stride + col]);
  const ref = {
    ensemble: up(reference.ensemble.f64),
    lightgbm: up(reference.lightgbm.f64),
    xgboost: up(reference.xgboost.f64),
    random_forest: up(reference.random_forest.f64),  // P(up) per row
  };
  const refF32 = Object.fromEntries(['ensemble', 'lightgbm', 'xgboost', 'random_forest'].map((k) => [k, up(reference[k].f32)]));
  return { x, rows: x.length / NF, ref, refF32 };
}

// ---------------------------------------------------------------------------------------------
// Measurement helpers (the package; the peers measure themselves the same way).

const latency = (fn, views, calls = CFG.calls) => measure.latency(fn, views, calls, CFG.warmup);
const asyncLatency = (fn, views, calls = CFG.asyncCalls) => measure.asyncLatency(fn, views, calls, Math.min(CFG.warmup, 500));
const inFlight = (fn, views, total = CFG.inflightCalls) => measure.inFlight(() => fn, views, total, IN_FLIGHT);
/** Median rows/s of fn(m) for a batch of `rows` rows (the warm-up scores up to 1,000 of them). */
const batch = async (fn, m, rows, threads) => ({
  threads,
  ...(await measure.timeBatch((warm) => fn(warm ? m.subarray(0, Math.min(rows, 1000) * NF) : m), rows, CFG.budget)),
});

function tile(x, rows) {
  const out = new Float64Array(rows * NF);
  for (let off = 0; off < out.length; off += x.length) out.set(x.subarray(0, Math.min(x.length, out.length - off)), off);
  return out;
}

const maxDiff = (got, want) => {
  let m = 0;
  for (let i = 0; i < want.length; i++) m = Math.max(m, Math.abs(got[i] - want[i]));
  return m;
};

// ---------------------------------------------------------------------------------------------
// The peers in child processes.

function runPython(set) {
  if (!opts.python) return { skipped: '--no-python' };
  const exe = join(root, '.venv', 'bin', 'python');
  if (!existsSync(exe)) return { error: `${exe} not found (npm run setup:python)` };
  log(`[${set.name}] python ensemble: tools/ensemble_peer.py ...`);
  const r = spawnSync(exe, [join(root, 'tools', 'ensemble_peer.py'), '--models', set.dir,
    '--inputs', join(set.fixtures, 'inputs.f64'), '--reference', join(set.fixtures, 'reference.json'),
    '--sizes', CFG.sizes.join(','), ...(quick ? ['--quick'] : [])], {
    cwd: root, encoding: 'utf8', maxBuffer: 1 << 26, stdio: ['ignore', 'pipe', 'inherit'],
  });
  return r.status === 0 ? JSON.parse(r.stdout) : { error: `ensemble_peer.py exit ${r.status ?? r.signal}` };
}

/** The C++ suite: the C APIs called directly (the floor) and the package's core without Node. */
function runNative(set) {
  if (!opts.native) return { skipped: '--no-native' };
  log(`[${set.name}] C++ suite (C API floor): bench/cpp/run.mjs ...`);
  const out = join(cache, `native-${set.name}${quick ? '-quick' : ''}.json`);
  mkdirSync(cache, { recursive: true });
  const r = spawnSync(process.execPath, [join(root, 'bench', 'cpp', 'run.mjs'), `--models=${set.dir}`, `--out=${out}`, ...(quick ? ['--quick'] : [])], {
    cwd: root, stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (r.status !== 0) return { error: `bench/cpp/run.mjs exit ${r.status ?? r.signal} (needs cmake and libbenchmark-dev)` };
  const json = JSON.parse(readFileSync(out, 'utf8'));
  // name: "<who>/<model>/<what>[/rows:N/threads:T]/min_time:.../real_time"
  const items = json.benchmarks.filter((b) => b.run_type === 'iteration').map((b) => {
    const parts = b.name.split('/');
    const field = (k) => Number(parts.find((p) => p.startsWith(`${k}:`))?.slice(k.length + 1) ?? NaN);
    return { who: parts[0], model: parts[1], what: parts[2], rows: field('rows'), threads: field('threads'), nsPerRow: b['ns/row'], rowsPerSecond: b['rows/s'] };
  });
  const one = (who, model, what) => items.find((i) => i.who === who && i.model === model && i.what === what && Number.isNaN(i.rows));
  const us = (i) => (i ? round(i.nsPerRow / 1e3) : null);
  const floorRow = {
    lightgbm: us(one('floor', 'lightgbm', 'SingleRowFast')),
    xgboost: Math.min(...['PredictFromDense', 'PredictFromDense_proxy'].map((w) => us(one('floor', 'xgboost', w)) ?? Infinity)),
    randomForest: us(one('floor', 'random_forest', 'engine')),
  };
  const batches = (who, model, what) => items.filter((i) => i.who === who && i.model === model && i.what === what && !Number.isNaN(i.rows))
    .map((i) => ({ rows: i.rows, threads: i.threads, rowsPerSecond: round(i.rowsPerSecond, 1) }));
  return {
    file: relative(root, out),
    context: { libraryBuildType: json.context.library_build_type, checks: Object.fromEntries(Object.entries(json.context).filter(([k]) => k.startsWith('max_abs_diff'))) },
    floor: {
      singleRowUs: { ...floorRow, sumOfBest: round(floorRow.lightgbm + floorRow.xgboost + floorRow.randomForest), ensembleInTurn: us(one('floor', 'ensemble', 'three_floors')) },
      batch: batches('floor', 'ensemble', 'three_floors'),
      models: { lightgbm: batches('floor', 'lightgbm', 'PredictForMat'), xgboost: batches('floor', 'xgboost', 'PredictFromDense'), randomForest: batches('floor', 'random_forest', 'engine') },
    },
    core: {
      singleRowUs: { ensemble: us(one('package', 'ensemble', 'PredictOne')), lightgbm: us(one('package', 'lightgbm', 'PredictModelOne')), xgboost: us(one('package', 'xgboost', 'PredictModelOne')), randomForest: us(one('package', 'random_forest', 'PredictModelOne')) },
      batch: batches('package', 'ensemble', 'PredictProba'),
    },
  };
}

async function runOnnx(set, data) {
  if (!opts.onnx) return { skipped: '--no-onnx' };
  log(`[${set.name}] onnxruntime-node ...`);
  try {
    const { runOnnxPeer } = await import('./peers/onnxruntime.mjs');
    return await runOnnxPeer({ root, modelDir: set.dir, x: data.x, nf: NF, rows: data.rows, cfg: CFG, cores, reference: data.ref, referenceF32: data.refF32, log });
  } catch (e) {
    return { error: String(e?.stack ?? e) };
  }
}

/** Load time and resident memory of the package alone, in a fresh Node process (this one holds the peers' sessions). */
function packageMemory(set) {
  const script = `const t0 = performance.now(); const before = process.memoryUsage().rss;
    const { ProductionEnsemble } = await import(${JSON.stringify(join(root, 'dist', 'index.js'))});
    const imported = process.memoryUsage().rss;
    const e = await ProductionEnsemble.load(${JSON.stringify(set.dir)});
    const ms = performance.now() - t0; e.predictOne(new Float64Array(12));
    console.log(JSON.stringify({ rssMiBStart: before / 1048576, rssMiBAfterImport: imported / 1048576, rssMiBAfterLoad: process.memoryUsage().rss / 1048576, importAndLoadMs: ms }));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  if (r.status !== 0) return { error: r.stderr.slice(0, 500) };
  return Object.fromEntries(Object.entries(JSON.parse(r.stdout)).map(([k, v]) => [k, round(v, 1)]));
}

// ---------------------------------------------------------------------------------------------
// The package, in this process.

async function runPackage(set, data) {
  log(`[${set.name}] production-ensemble ...`);
  const { x, rows: nRows, ref } = data;
  const views = Array.from({ length: nRows }, (_, i) => x.subarray(i * NF, (i + 1) * NF));
  let t0 = performance.now();
  const ens = await ProductionEnsemble.load(set.dir, { threads: cores });
  const firstLoadMs = performance.now() - t0;
  const reloads = [];
  for (let i = 0; i < CFG.loads; i++) {
    t0 = performance.now();
    ProductionEnsemble.loadSync(set.dir, { threads: cores }).close();
    reloads.push(performance.now() - t0);
  }
  // LightGBMModel alone, ready to score: what lleaves's compile step is set against.
  const lgbLoads = [];
  for (let i = 0; i < CFG.loads; i++) {
    t0 = performance.now();
    LightGBMModel.loadSync(join(set.dir, 'lightgbm.txt'), { threads: 1 }).close();
    lgbLoads.push(performance.now() - t0);
  }
  const ens1 = await ProductionEnsemble.load(set.dir, { threads: 1 });
  const lib = await ProductionEnsemble.load(set.dir, { threads: cores, scorer: 'library' });
  const lib1 = await ProductionEnsemble.load(set.dir, { threads: 1, scorer: 'library' });
  const info = ens.getModelInfo();

  const one = Float64Array.from(views, (r) => ens.predictOne(r));
  const correctness = {
    ensemble: maxDiff(ens.predictProba(x), ref.ensemble),
    ensembleAsync: maxDiff(await ens.predictProbaAsync(x), ref.ensemble),
    ensemblePredictOne: maxDiff(one, ref.ensemble),
    ensembleLibraryScorer: maxDiff(lib.predictProba(x), ref.ensemble),
    lightgbm: maxDiff(ens.models.lightgbm.predictProba(x), ref.lightgbm),
    xgboost: maxDiff(ens.models.xgboost.predictProba(x), ref.xgboost),
    randomForest: maxDiff(ens.models.randomForest.predictProba(x).filter((_, i) => i % 2 === 1), ref.random_forest),
  };
  log(`  max |difference| from the libraries' reference: ${JSON.stringify(correctness)}`);
  const nodes = {
    ensemble: ens.nodesVisited(x) / nRows,
    lightgbm: ens.models.lightgbm.nodesVisited(x) / nRows,
    xgboost: ens.models.xgboost.nodesVisited(x) / nRows,
    randomForest: ens.models.randomForest.nodesVisited(x) / nRows,
  };

  const addon = binding().addon;
  const pkg = {
    scorers: { lightgbm: info.models.lightgbm.scorer, xgboost: info.models.xgboost.scorer },
    load: { firstMs: round(firstLoadMs), reloadSyncMedianMs: round(median(reloads)), lightgbmModelMs: round(median(lgbLoads)), freshProcess: packageMemory(set) },
    maxAbsDiffFromReference: correctness,
    nodesVisitedPerRow: Object.fromEntries(Object.entries(nodes).map(([k, v]) => [k, round(v, 1)])),
    timerOverhead: latency(() => {}, views),
    emptyNativeCall: latency((r) => addon.emptyCall(r, 0), views),
    singleRow: {},
    async: {},
    batch: [],
    models: { lightgbm: { batch: [] }, xgboost: { batch: [] }, randomForest: { batch: [] } },
    libraryScorer: { singleRow: {}, batch: [], models: { lightgbm: {}, xgboost: {} } },
  };
  pkg.singleRow.predictOne = latency((r) => ens.predictOne(r), views);
  pkg.singleRow.predictProba1Row = latency((r) => ens.predictProba(r), views);
  pkg.singleRow.predictModels1Row = latency((r) => ens.predictModels(r), views);
  for (const [name, m] of Object.entries(ens.models)) pkg.models[name].predictOne = latency((r) => m.predictOne(r), views);
  pkg.libraryScorer.singleRow.predictOne = latency((r) => lib.predictOne(r), views);
  for (const name of ['lightgbm', 'xgboost']) pkg.libraryScorer.models[name].predictOne = latency((r) => lib.models[name].predictOne(r), views);
  log(`  predictOne median ${pkg.singleRow.predictOne.medianUs} us (library scorer ${pkg.libraryScorer.singleRow.predictOne.medianUs} us)`);

  pkg.async.latency1Row = await asyncLatency((r) => ens.predictProbaAsync(r), views);
  pkg.async.overheadUs = round(pkg.async.latency1Row.medianUs - pkg.singleRow.predictProba1Row.medianUs);
  pkg.async.inFlight64 = await inFlight((r) => ens.predictProbaAsync(r), views);
  const two = Array.from({ length: nRows - 1 }, (_, i) => x.subarray(i * NF, (i + 2) * NF));
  pkg.async.latency2RowsThreadPool = await asyncLatency((r) => ens.predictProbaAsync(r), two);
  pkg.async.poolHopUs = round(pkg.async.latency2RowsThreadPool.medianUs - latency((r) => ens.predictProba(r), two).medianUs);
  pkg.async.inFlight64TwoRowCalls = await inFlight((r) => ens.predictProbaAsync(r), two);
  log(`  async 1 row median ${pkg.async.latency1Row.medianUs} us; 64 in flight ${pkg.async.inFlight64.callsPerSecond} calls/s`);

  const big = tile(x, Math.max(...CFG.sizes));
  for (const rows of CFG.sizes) {
    const m = big.subarray(0, rows * NF);
    for (const [threads, e, l] of cores > 1 ? [[1, ens1, lib1], [cores, ens, lib]] : [[1, ens1, lib1]]) {
      const r = await batch((v) => e.predictProba(v), m, rows, threads);
      pkg.batch.push(r);
      log(`  batch ${rows} rows, ${threads} thread(s): ${r.rowsPerSecond.toFixed(0)} rows/s`);
      for (const [name, model] of Object.entries(e.models)) pkg.models[name].batch.push(await batch((v) => model.predictProba(v), m, rows, threads));
      pkg.libraryScorer.batch.push(await batch((v) => l.predictProba(v), m, rows, threads));
    }
  }
  pkg.rssMiBAtEnd = round(process.memoryUsage().rss / MiB, 1);
  for (const e of [ens, ens1, lib, lib1]) e.close();
  return { pkg, info };
}

// ---------------------------------------------------------------------------------------------
// Tables and the summary the plot reads.

// onnxruntime-node's fastest ensemble single row (one fused graph or three sessions, whichever won).
const onnxSingle = (ox) => (ox?.singleRow?.fastestEnsemble?.medianUs ? ox.singleRow.fastestEnsemble : ox?.singleRow?.ensemble);

function tableFor(pkg, python, native, onnx) {
  const py = python && !python.error && !python.skipped ? python : null;
  const nat = native && !native.error && !native.skipped ? native : null;
  const ox = onnx && !onnx.error && !onnx.skipped ? onnx : null;
  const rows = [];
  const add = (what, unit, v, higherIsBetter) => {
    const ratio = (theirs) => (v.package && theirs ? round(higherIsBetter ? v.package / theirs : theirs / v.package, 2) : null);
    rows.push({ what, unit, ...v, vsPython: ratio(v.python), vsCApi: ratio(v.cApi), vsOnnx: ratio(v.onnx) });
  };
  add('ensemble single row, median', 'us', {
    package: pkg.singleRow.predictOne.medianUs, cppCore: nat?.core.singleRowUs.ensemble, libraryScorer: pkg.libraryScorer.singleRow.predictOne.medianUs,
    cApi: nat?.floor.singleRowUs.sumOfBest, onnx: onnxSingle(ox)?.medianUs, python: py?.singleRow.ensemble.medianUs,
  }, false);
  add('ensemble single row, p99', 'us', { package: pkg.singleRow.predictOne.p99Us, libraryScorer: pkg.libraryScorer.singleRow.predictOne.p99Us, onnx: onnxSingle(ox)?.p99Us, python: py?.singleRow.ensemble.p99Us }, false);
  add('ensemble predictProbaAsync, 1 row, median', 'us', { package: pkg.async.latency1Row.medianUs, onnx: onnxSingle(ox)?.medianUs }, false);
  add('ensemble async, 64 calls in flight', 'calls/s', { package: pkg.async.inFlight64.callsPerSecond, onnx: Math.max(ox?.async?.inFlight64?.callsPerSecond ?? 0, ox?.async?.inFlight64Fused?.callsPerSecond ?? 0) || null }, true);
  for (const r of pkg.batch) {
    const find = (list) => list?.find((b) => b.rows === r.rows && b.threads === r.threads)?.rowsPerSecond;
    add(`ensemble batch ${r.rows.toLocaleString('en-US')} rows, ${r.threads} thread(s)`, 'rows/s', {
      package: r.rowsPerSecond, cppCore: find(nat?.core.batch), libraryScorer: find(pkg.libraryScorer.batch),
      cApi: find(nat?.floor.batch), onnx: find(ox?.batch), python: find(py?.batch),
    }, true);
  }
  const pyName = { lightgbm: 'lightgbm', xgboost: 'xgboost', randomForest: 'random_forest' };
  for (const [name, m] of Object.entries(pkg.models)) {
    add(`${name} single row, median`, 'us', {
      package: m.predictOne.medianUs, cppCore: nat?.core.singleRowUs[name], libraryScorer: pkg.libraryScorer.models[name]?.predictOne?.medianUs,
      cApi: nat?.floor.singleRowUs[name], onnx: ox?.models?.[pyName[name]]?.predictOne?.medianUs, python: py?.singleRow[pyName[name]]?.medianUs,
    }, false);
    const top = m.batch.filter((b) => b.threads === cores).at(-1);
    if (top) {
      add(`${name} batch ${top.rows.toLocaleString('en-US')} rows, ${top.threads} thread(s)`, 'rows/s', {
        package: top.rowsPerSecond, cApi: nat?.floor.models[name]?.find((b) => b.rows === top.rows && b.threads === top.threads)?.rowsPerSecond,
        onnx: ox?.models?.[pyName[name]]?.batch?.find?.((b) => b.rows === top.rows && b.threads === top.threads)?.rowsPerSecond,
        python: py?.batch.find((b) => b.rows === top.rows && b.threads === top.threads)?.perModelRowsPerSecond?.[pyName[name]],
      }, true);
    }
  }
  add('load (first, incl. dlopen and self-check)', 'ms', { package: pkg.load.firstMs, onnx: ox?.load?.threeSessionsMs, python: py && py.load.seconds * 1e3 }, false);
  add('RSS after load, fresh process', 'MiB', { package: pkg.load.freshProcess.rssMiBAfterLoad, onnx: ox?.load?.rssMiB?.afterLoad, python: py?.load?.rssMiB?.afterLoad }, false);
  add('empty native call (typed array + number)', 'us', { package: pkg.emptyNativeCall.medianUs }, false);
  return rows;
}

function summaryFor(pkg, python, native, onnx) {
  const ok = (p) => p && !p.error && !p.skipped;
  const out = [{ contender: 'production-ensemble', singleRowUs: pkg.singleRow.predictOne.medianUs, batch: pkg.batch }];
  out.push({ contender: 'production-ensemble (library scorer)', singleRowUs: pkg.libraryScorer.singleRow.predictOne.medianUs, batch: pkg.libraryScorer.batch });
  if (ok(native)) out.push({ contender: 'C APIs from C++', singleRowUs: native.floor.singleRowUs.sumOfBest, batch: native.floor.batch });
  if (ok(onnx)) out.push({ contender: 'onnxruntime-node', singleRowUs: onnxSingle(onnx)?.medianUs, batch: onnx.batch ?? [] });
  if (ok(python)) out.push({ contender: 'Python ensemble', singleRowUs: python.singleRow.ensemble.medianUs, batch: python.batch });
  return out;
}

function printTable(set, rows) {
  const fmt = (v) => (v === null || v === undefined ? '-' : v >= 1e5 ? v.toExponential(3) : String(round(v, v < 10 ? 3 : 1)));
  const header = ['measurement', 'unit', 'package', 'C++ core', 'lib scorer', 'C APIs', 'onnxruntime', 'python', 'vs python', 'vs C APIs'];
  const lines = rows.map((r) => [r.what, r.unit, fmt(r.package), fmt(r.cppCore), fmt(r.libraryScorer), fmt(r.cApi), fmt(r.onnx), fmt(r.python),
    r.vsPython === null ? '-' : `${r.vsPython}x`, r.vsCApi === null ? '-' : `${r.vsCApi}x`]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const print = (cells) => console.log(cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  '));
  console.log(`\n== ${set.name} ensemble (${set.description}), ${displayPath(set.dir)}`);
  print(header);
  print(widths.map((w) => '-'.repeat(w)));
  lines.forEach(print);
}

// ---------------------------------------------------------------------------------------------

const results = {
  date: new Date().toISOString(),
  quick,
  command: `node bench/js/ensemble.bench.mjs${process.argv.length > 2 ? ` ${process.argv.slice(2).join(' ')}` : ''}`,
  machine: { cpu: cpus()[0]?.model, cores, platform: `${platform()} ${release()}`, node: process.versions.node },
  config: { ...CFG, inFlight: IN_FLIGHT },
  sets: [],
};
for (const name of sets) {
  const set = modelSet(name);
  const data = readRows(set.fixtures);
  // Peers first, each alone on the machine; the package last, in this process.
  const python = runPython(set);
  const native = runNative(set);
  const onnx = await runOnnx(set, data);
  const lleaves = opts.lleaves ? runLleavesPeer({ root, set, sizes: CFG.sizes, quick, log }) : { skipped: '--no-lleaves' };
  for (const [who, r] of [['python', python], ['native', native], ['onnx', onnx], ['lleaves', lleaves]]) if (r.error) log(`[${set.name}] ${who} failed: ${r.error}`);
  const { pkg, info } = await runPackage(set, data);
  const table = tableFor(pkg, python, native, onnx);
  const entry = {
    name: set.name, description: set.description, directory: set.dir, cores,
    inputs: { file: displayPath(join(set.fixtures, 'inputs.f64')), rows: data.rows, tiledTo: CFG.sizes },
    versions: info.versions,
    models: { lightgbmTrees: info.models.lightgbm.numTrees, xgboostTrees: info.models.xgboost.numTrees, forestTrees: info.models.randomForest.numTrees, forestNodes: info.models.randomForest.numNodes },
    package: pkg, python, native, onnx, lleaves, table, summary: summaryFor(pkg, python, native, onnx),
    lightgbmAlone: compareLightGBM(pkg, lleaves, pkg.nodesVisitedPerRow),
  };
  // The lower bound: the nodes a row must visit, and what each contender spends per node.
  const perNode = (us) => (us ? round((us * 1e3) / pkg.nodesVisitedPerRow.ensemble, 2) : null);
  entry.workBound = {
    nodesPerRow: pkg.nodesVisitedPerRow,
    nsPerNode: Object.fromEntries(entry.summary.map((c) => {
      const top = c.batch.filter((b) => b.threads === 1).at(-1);
      return [c.contender, { singleRow: perNode(c.singleRowUs), batch1Thread: top ? perNode(1e6 / top.rowsPerSecond) : null }];
    })),
  };
  results.sets.push(entry);
  printTable(set, table);
  printLightGBMTable(entry.lightgbmAlone);
  console.log(`nodes visited per row: ${JSON.stringify(pkg.nodesVisitedPerRow)}; ns per node: ${JSON.stringify(entry.workBound.nsPerNode)}`);
}
results.seconds = round((performance.now() - started) / 1e3, 1);
console.log('\nratios: how many times better this package is (latency: theirs/ours; rows/s: ours/theirs). C APIs: LightGBM + XGBoost called from C++, the forest by the engine (scikit-learn has no C API); single row = the sum of the three fastest single-row calls.');

const out = opts.out ? resolve(opts.out) : join(root, 'bench', 'results', `ensemble-${results.date.slice(0, 10)}${quick ? '-quick' : ''}.json`);
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
console.log(`wrote ${relative(root, out) || out} in ${results.seconds} s`);
if (!quick && !opts.out) {
  const r = spawnSync(process.execPath, [join(root, 'bench', 'js', 'plot.mjs'), out], { stdio: 'inherit' });
  if (r.status !== 0) log('plot failed');
}
