// The onnxruntime-node peer: the same three models converted to ONNX (bench/python/make_onnx.py)
// and scored by onnxruntime-node on the same rows. Exactness against the libraries, load, single-row
// latency, 64-in-flight throughput and batch rows/s, as a plain JSON-able object.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { asyncLatency, inFlight as measureInFlight, latency as measureLatency, median, round, timeBatch } from '../measure.mjs';

const MODELS = ['lightgbm', 'xgboost', 'random_forest'];
const WEIGHTS = { lightgbm: 0.4, xgboost: 0.4, random_forest: 0.2 };
const IN_FLIGHT = 64;
const MiB = 1024 * 1024;
const now = process.hrtime.bigint;
const rssMiB = () => round(process.memoryUsage().rss / MiB, 1);

/**
 * Session options. A tree-ensemble graph is one chain of nodes, so 'sequential' and one inter-op
 * thread; 'all' graph optimisations (they fold the converters' Identity/Cast/Mul tail); the intra-op
 * pool is what parallelises a TreeEnsemble over rows or trees. Its worker threads spin between runs
 * by default, which helps a lone session and hurts when three sessions take turns on 2 cores, so
 * batches are measured with spinning on and off and the result says which was faster.
 */
function sessionOptions(intra, { spin = true, parallel = false } = {}) {
  const o = {
    graphOptimizationLevel: 'all',
    executionMode: parallel ? 'parallel' : 'sequential',
    intraOpNumThreads: parallel ? 1 : intra,
    interOpNumThreads: parallel ? intra : 1,
  };
  if (!spin) o.extra = { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } };
  return o;
}

/** max |got - want| and the rows above 1e-6, overall and per fixture group. */
function compare(got, want, groups) {
  if (!want) return null;
  let max = 0;
  let at = -1;
  let over = 0;
  for (let i = 0; i < want.length; i++) {
    const d = Math.abs(got[i] - want[i]);
    if (!(d <= max)) {
      max = d;
      at = i;
    }
    if (!(d <= 1e-6)) over++;
  }
  const out = { maxAbsDiff: max, atRow: at, rowsOver1e6: over };
  if (groups?.length) {
    out.byGroup = {};
    for (const g of groups) {
      let m = 0;
      for (let i = g.start; i < g.start + g.count && i < want.length; i++) m = Math.max(m, Math.abs(got[i] - want[i]));
      out.byGroup[g.name] = m;
    }
  }
  return out;
}

function combine(p, rows) {
  const out = new Float64Array(rows);
  const { lightgbm: l, xgboost: x, random_forest: r } = p;
  for (let i = 0; i < rows; i++) out[i] = (WEIGHTS.lightgbm * l[i] + WEIGHTS.xgboost * x[i]) + WEIGHTS.random_forest * r[i];
  return out;
}

/** Converts the model directory (cached by make_onnx.py on the model files' sha256). */
function convert(root, modelDir, log) {
  const python = join(root, '.venv', 'bin', 'python');
  if (!existsSync(python)) return { error: `${python} not found (node bench/setup.mjs)` };
  const dirKey = createHash('sha256').update(resolve(modelDir)).digest('hex').slice(0, 12);
  const outDir = join(tmpdir(), 'production-ensemble-bench', `onnx-${dirKey}`);
  log(`onnx peer: converting ${modelDir} -> ${outDir} (bench/python/make_onnx.py) ...`);
  const t = performance.now();
  const r = spawnSync(python, [join(root, 'bench', 'python', 'make_onnx.py'), modelDir, outDir], {
    cwd: root, encoding: 'utf8', maxBuffer: 1 << 26, stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (r.status !== 0) return { error: `make_onnx.py exited ${r.status ?? r.signal} (node bench/setup.mjs installs the converters)` };
  return { ...JSON.parse(r.stdout), wallSeconds: round((performance.now() - t) / 1e3) };
}

/**
 * Runs the onnxruntime-node peer. `x` holds `rows` rows of `nf` features (row-major float64);
 * `reference` the libraries' P(up) per row ({lightgbm, xgboost, random_forest, ensemble}), and
 * optionally `referenceF32` the same on the float32-cast rows and `groups` the fixture's row groups
 * ([{name, start, count}]) to break the differences down. `cfg` is ensemble.bench.mjs's CFG.
 */
export async function runOnnxPeer({ root, modelDir, x, nf, rows, cfg, cores, reference, referenceF32, groups, log = (m) => process.stderr.write(`${m}\n`) }) {
  modelDir = resolve(modelDir ?? join(root, 'models', 'production'));
  const result = { peer: 'onnxruntime-node', modelDir };
  const conversion = convert(root, modelDir, log);
  if (conversion.error) return { ...result, error: conversion.error };
  const files = Object.fromEntries(Object.entries(conversion.files).map(([k, v]) => [k, v.file]));
  const rawFiles = Object.fromEntries(MODELS.map((k) => [k, conversion.files[k].raw[0].file]));

  // -------------------------------------------------------------------------------------------
  // Load.
  const rssBefore = rssMiB();
  const require = createRequire(join(root, 'bench', 'package.json'));
  let ort;
  try {
    ort = require('onnxruntime-node');
  } catch (e) {
    return { ...result, error: `onnxruntime-node not installed in bench/ (node bench/setup.mjs): ${e.message}` };
  }
  const ortDir = resolve(require.resolve('onnxruntime-node'), '..', '..');
  const { Tensor, InferenceSession } = ort;
  const create = (file, opts) => InferenceSession.create(file, opts);
  const rssImported = rssMiB();
  const latencyOpts = sessionOptions(1);
  const perModelMs = {};
  const s1 = {};
  const t0 = performance.now();
  for (const m of MODELS) {
    const t = performance.now();
    s1[m] = await create(files[m], latencyOpts);
    perModelMs[m] = round(performance.now() - t);
  }
  const loadMs = round(performance.now() - t0);
  const rssLoaded = rssMiB();
  let t = performance.now();
  const fused1 = await create(files.ensemble, latencyOpts);
  const fusedLoadMs = round(performance.now() - t);
  const reloadMs = [];
  for (let i = 0; i < (cfg.loads ?? 3); i++) {
    t = performance.now();
    const ss = [];
    for (const m of MODELS) ss.push(await create(files[m], latencyOpts));
    reloadMs.push(performance.now() - t);
    for (const s of ss) await s.release();
  }

  const pkg = JSON.parse(readFileSync(join(ortDir, 'package.json'), 'utf8'));
  Object.assign(result, {
    description: 'onnxruntime-node InferenceSession per model on the ONNX conversions of make_onnx.py; float32 input '
      + '(converted from float64 in every measured call); ensemble (0.4*lgb + 0.4*xgb) + 0.2*rf combined in JS in float64 '
      + 'from three session.run calls, and "fused": one session.run of ensemble.onnx (the three graphs in one, combined in float64)',
    versions: { 'onnxruntime-node': pkg.version, onnxruntime: ort.env.versions, converters: conversion.versions },
    conversion: {
      outDir: conversion.outDir, seconds: conversion.seconds, wallSeconds: conversion.wallSeconds,
      cached: Object.fromEntries(Object.entries(conversion.files).map(([k, v]) => [k, v.cached])),
      files: Object.fromEntries(Object.entries(conversion.files).map(([k, v]) => [k, {
        bytes: v.bytes, opsetImport: v.opsetImport, irVersion: v.irVersion, ops: v.ops, fixes: v.fixes, seconds: v.seconds,
      }])),
      input: conversion.input, output: conversion.output, options: conversion.options,
    },
    sessionOptions: {
      latency: latencyOpts,
      batch: { [`threads=1`]: sessionOptions(1), [`threads=${cores}`]: sessionOptions(cores), [`threads=${cores}, no spinning`]: sessionOptions(cores, { spin: false }), [`fused, parallel executor`]: sessionOptions(cores, { parallel: true }) },
    },
    load: {
      threeSessionsMs: loadMs, perModelMs, fusedSessionMs: fusedLoadMs, reloadThreeMedianMs: round(median(reloadMs)),
      rssMiB: { beforeImport: rssBefore, afterImport: rssImported, afterLoad: rssLoaded, loadDelta: round(rssLoaded - rssBefore, 1) },
    },
  });

  // -------------------------------------------------------------------------------------------
  // Exactness: every row once, per model, the JS-combined ensemble, the fused graph, and the
  // converters' raw output (without make_onnx.py's fixes).
  const xAll = new Float32Array(x.subarray(0, rows * nf));
  const feedAll = { X: new Tensor('float32', xAll, [rows, nf]) };
  const got = {};
  for (const m of MODELS) got[m] = (await s1[m].run(feedAll)).p_up.data;
  got.ensemble = combine(got, rows);
  const fusedGot = (await fused1.run(feedAll)).p_up.data;
  const exact = { f64: {}, f32: {}, note: 'f64: the libraries on the float64 rows (what the package matches); f32: the libraries on the same rows cast to float32 (what a float32-input model can match at best)' };
  for (const m of [...MODELS, 'ensemble']) {
    exact.f64[m] = compare(got[m], reference?.[m], groups);
    exact.f32[m] = compare(got[m], referenceF32?.[m], groups);
  }
  exact.f64.ensembleFused = compare(fusedGot, reference?.ensemble, groups);
  exact.f32.ensembleFused = compare(fusedGot, referenceF32?.ensemble, groups);
  exact.rawConverterOutput = {};
  for (const m of MODELS) {
    const s = await create(rawFiles[m], latencyOpts);
    const p = (await s.run(feedAll)).p_up.data;
    await s.release();
    exact.rawConverterOutput[m] = { f64: compare(p, reference?.[m]), f32: compare(p, referenceF32?.[m]) };
  }
  result.maxAbsDiffFromReference = exact;
  const brief = (c) => (c ? c.maxAbsDiff.toExponential(2) : '-');
  log(`onnx peer: max |diff| vs f64 reference: ${MODELS.map((m) => `${m} ${brief(exact.f64[m])}`).join(', ')}, ensemble ${brief(exact.f64.ensemble)}; `
    + `vs f32 reference: ensemble ${brief(exact.f32.ensemble)}`);

  // -------------------------------------------------------------------------------------------
  // Single row: one awaited session.run per model per row, the row converted to float32 into a
  // reused buffer each call (the cheapest a caller can do).
  const rowViews = Array.from({ length: rows }, (_, i) => x.subarray(i * nf, (i + 1) * nf));
  const latency = (fn, calls = cfg.calls) => asyncLatency(fn, rowViews, calls, cfg.warmup);
  const syncLatency = (fn, calls = cfg.calls) => measureLatency(fn, rowViews, calls, cfg.warmup);
  const rowInput = () => {
    const buf = new Float32Array(nf);
    return { buf, feeds: { X: new Tensor('float32', buf, [1, nf]) } };
  };
  const ensembleOne = (s, input) => async (row) => {
    input.buf.set(row);
    const l = (await s.lightgbm.run(input.feeds)).p_up.data[0];
    const xg = (await s.xgboost.run(input.feeds)).p_up.data[0];
    const r = (await s.random_forest.run(input.feeds)).p_up.data[0];
    return (WEIGHTS.lightgbm * l + WEIGHTS.xgboost * xg) + WEIGHTS.random_forest * r;
  };
  const ensembleAll = (s, input) => async (row) => {
    input.buf.set(row);
    const [l, xg, r] = await Promise.all(MODELS.map((m) => s[m].run(input.feeds)));
    return (WEIGHTS.lightgbm * l.p_up.data[0] + WEIGHTS.xgboost * xg.p_up.data[0]) + WEIGHTS.random_forest * r.p_up.data[0];
  };
  const fusedOne = (s, input) => async (row) => {
    input.buf.set(row);
    return (await s.run(input.feeds)).p_up.data[0];
  };

  log('onnx peer: single row ...');
  const single = { threads: 1, note: 'each call: Float32Array.set(row) into a reused buffer + awaited session.run per model; onnxruntime-node runs the session synchronously inside setImmediate, so an awaited run includes one event-loop turn' };
  const input = rowInput();
  single.float32ConversionOnly = syncLatency((row) => input.buf.set(row));
  for (const m of MODELS) single[m] = await latency(fusedOne(s1[m], input));
  single.ensemble = await latency(ensembleOne(s1, input));
  single.ensemblePromiseAll = await latency(ensembleAll(s1, input));
  single.ensembleFused = await latency(fusedOne(fused1, input));
  // A caller-owned output tensor (fetches = { p_up: Tensor }): onnxruntime-node 1.30 writes into it.
  try {
    const out = new Tensor('float32', new Float32Array(1), [1]);
    const fetches = { p_up: out };
    input.buf.set(rowViews[0]);
    await s1.lightgbm.run(input.feeds, fetches);
    const written = out.data[0] === got.lightgbm[0];
    single.lightgbmPreallocatedOutput = {
      writesIntoCallerTensor: written,
      ...(await latency(async (row) => {
        input.buf.set(row);
        await s1.lightgbm.run(input.feeds, fetches);
        return out.data[0];
      })),
    };
  } catch (e) {
    single.lightgbmPreallocatedOutput = { error: e.message };
  }
  // The same three runs with all cores in each session's intra-op pool (TreeEnsemble splits the
  // trees of a single row across threads).
  if (cores > 1) {
    for (const spin of [true, false]) {
      const sN = {};
      for (const m of MODELS) sN[m] = await create(files[m], sessionOptions(cores, { spin }));
      single[`ensembleThreads${cores}${spin ? '' : 'NoSpinning'}`] = await latency(ensembleOne(sN, input));
      for (const m of MODELS) await sN[m].release();
    }
  }
  // Diagnostic, not public API: the native binding's synchronous run, without backend.js's
  // setImmediate hop, to show what that hop costs.
  try {
    const { binding, initOrt } = require(join(ortDir, 'dist', 'binding.js'));
    initOrt();
    const native = {};
    for (const m of MODELS) {
      native[m] = new binding.InferenceSession();
      native[m].loadModel(files[m], latencyOpts);
    }
    const fetches = { p_up: null };
    single.ensembleNativeSyncRunDiagnostic = syncLatency((row) => {
      input.buf.set(row);
      const l = native.lightgbm.run(input.feeds, fetches, {}).p_up.data[0];
      const xg = native.xgboost.run(input.feeds, fetches, {}).p_up.data[0];
      const r = native.random_forest.run(input.feeds, fetches, {}).p_up.data[0];
      return (WEIGHTS.lightgbm * l + WEIGHTS.xgboost * xg) + WEIGHTS.random_forest * r;
    });
    for (const m of MODELS) native[m].dispose();
  } catch (e) {
    single.ensembleNativeSyncRunDiagnostic = { error: e.message };
  }
  const ways = Object.entries(single).filter(([k, v]) => k.startsWith('ensemble') && !k.includes('Diagnostic') && v?.medianUs !== undefined);
  const [fastName, fast] = ways.reduce((a, b) => (b[1].medianUs < a[1].medianUs ? b : a));
  single.fastestEnsemble = { way: fastName, medianUs: fast.medianUs, p99Us: fast.p99Us };
  result.singleRow = single;
  log(`onnx peer: ensemble single row median ${single.ensemble.medianUs} us (fused ${single.ensembleFused.medianUs} us), p99 ${single.ensemble.p99Us} us`);

  // -------------------------------------------------------------------------------------------
  // 64 single-row ensemble calls in flight, each with its own input buffer.
  const inFlight = (make, total = cfg.inflightCalls) => {
    const inputs = Array.from({ length: IN_FLIGHT }, rowInput);
    return measureInFlight((w) => make(inputs[w]), rowViews, total, IN_FLIGHT);
  };
  log('onnx peer: 64 in flight ...');
  result.async = {
    note: 'onnxruntime-node has no off-thread run: each session.run executes on the main thread in a setImmediate callback, so calls in flight are served one after another',
    inFlight64: await inFlight((input) => ensembleOne(s1, input)),
    inFlight64Fused: await inFlight((input) => fusedOne(fused1, input)),
  };
  log(`onnx peer: 64 in flight ${result.async.inFlight64.callsPerSecond} calls/s (fused ${result.async.inFlight64Fused.callsPerSecond})`);
  for (const m of MODELS) await s1[m].release();
  await fused1.release();

  // -------------------------------------------------------------------------------------------
  // Batches: the float64 matrix converted to a new Float32Array in every call (as a caller
  // holding float64 rows must), then the three runs and the combination in JS, or one fused run.
  const batch = async (fn, m, n, label) => {
    const r = await timeBatch((warm) => fn(warm ? m.subarray(0, Math.min(n, 1000) * nf) : m), n, cfg.budget);
    return { rows: n, ...label, ...r };
  };
  const tensorOf = (m) => ({ X: new Tensor('float32', new Float32Array(m), [m.length / nf, nf]) });
  const maxRows = Math.max(...cfg.sizes);
  const big = new Float64Array(maxRows * nf);
  const src = x.subarray(0, rows * nf);
  for (let off = 0; off < big.length; off += src.length) big.set(src.subarray(0, Math.min(src.length, big.length - off)), off);

  // Spinning only matters when sessions take turns, so the models alone run with the default.
  const variants = [{ name: 'threads=1', threads: 1, opts: sessionOptions(1), perModel: true }];
  if (cores > 1) {
    variants.push({ name: `threads=${cores}`, threads: cores, opts: sessionOptions(cores), perModel: true });
    variants.push({ name: `threads=${cores}, no spinning`, threads: cores, opts: sessionOptions(cores, { spin: false }), perModel: false });
  }
  const all = { ensemble: [], ensembleFused: [], lightgbm: [], xgboost: [], random_forest: [] };
  const conversionMs = [];
  for (const n of cfg.sizes) {
    const m = big.subarray(0, n * nf);
    const t1 = now();
    new Float32Array(m);
    conversionMs.push({ rows: n, ms: round(Number(now() - t1) / 1e6) });
    for (const v of variants) {
      const s = {};
      for (const k of MODELS) s[k] = await create(files[k], v.opts);
      const fused = await create(files.ensemble, v.opts);
      const label = { threads: v.threads, variant: v.name };
      const r = await batch(async (mm) => {
        const feeds = tensorOf(mm);
        const p = {};
        for (const k of MODELS) p[k] = (await s[k].run(feeds)).p_up.data;
        return combine(p, mm.length / nf);
      }, m, n, label);
      all.ensemble.push(r);
      all.ensembleFused.push(await batch(async (mm) => (await fused.run(tensorOf(mm))).p_up.data, m, n, label));
      if (v.perModel) {
        for (const k of MODELS) all[k].push(await batch(async (mm) => (await s[k].run(tensorOf(mm))).p_up.data, m, n, label));
      }
      log(`onnx peer: batch ${n} rows, ${v.name}: ${r.rowsPerSecond.toFixed(0)} rows/s (fused ${all.ensembleFused.at(-1).rowsPerSecond.toFixed(0)})`);
      for (const k of MODELS) await s[k].release();
      await fused.release();
    }
    if (cores > 1) {
      // The fused graph's three branches are independent: the parallel executor runs them at once.
      const v = { threads: cores, variant: `parallel executor, ${cores} inter-op threads` };
      const fused = await create(files.ensemble, sessionOptions(cores, { parallel: true }));
      all.ensembleFused.push(await batch(async (mm) => (await fused.run(tensorOf(mm))).p_up.data, m, n, v));
      await fused.release();
    }
  }
  // The best of the variants per (rows, threads), ensemble = three sessions or the fused graph.
  const best = (list) => {
    const out = [];
    for (const r of list) {
      const i = out.findIndex((o) => o.rows === r.rows && o.threads === r.threads);
      if (i < 0) out.push(r);
      else if (r.rowsPerSecond > out[i].rowsPerSecond) out[i] = r;
    }
    return out;
  };
  result.batch = best([...all.ensemble.map((r) => ({ ...r, how: 'three sessions' })), ...all.ensembleFused.map((r) => ({ ...r, how: 'fused' }))]);
  result.models = Object.fromEntries(MODELS.map((k) => [k, { predictOne: single[k], batch: best(all[k]) }]));
  result.batchAll = all;
  result.float32ConversionMs = conversionMs;
  result.rssMiBAtEnd = rssMiB();
  return result;
}
