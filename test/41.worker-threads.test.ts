// The addon is context-aware: the ensemble loads and scores inside a worker_thread, gives the
// same numbers as on the main thread, and a worker stopped mid-work takes nothing down with it.
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { expect, it } from 'vitest';
import { ProductionEnsemble } from '../dist/index.js';
import { fixtures, productionDir, readF64, root, runChild } from './helpers.js';

it('loads and scores in a worker thread', async () => {
  const x = readF64(join(fixtures, 'production', 'inputs.f64')).slice(0, 100 * 12);
  const source = `
    const { parentPort, workerData } = require('node:worker_threads');
    import(workerData.entry).then(async (pe) => {
      const m = await pe.ProductionEnsemble.load(workerData.dir);
      const p = m.predictProba(workerData.x);
      const a = await m.predictProbaAsync(workerData.x);
      const one = m.predictOne(workerData.x.subarray(0, 12));
      m.close();
      parentPort.postMessage({ p, a, one });
    }).catch((e) => parentPort.postMessage({ error: String(e && e.stack || e) }));`;
  const result = await new Promise<{ p: Float64Array; a: Float64Array; one: number; error?: string }>((resolve, reject) => {
    const w = new Worker(source, { eval: true, workerData: { entry: join(root, 'dist', 'index.js'), dir: productionDir, x } });
    w.once('message', resolve);
    w.once('error', reject);
  });
  expect(result.error).toBeUndefined();
  const main = await ProductionEnsemble.load(productionDir);
  try {
    const expected = main.predictProba(x);
    expect(result.p).toEqual(expected);
    expect(result.a).toEqual(expected);
    expect(result.one).toBe(expected[0]);
  } finally {
    main.close();
  }
});

it('two workers load and exit while the main thread keeps its model', async () => {
  const main = await ProductionEnsemble.load(productionDir);
  const source = `
    const { parentPort, workerData } = require('node:worker_threads');
    import(workerData.entry).then(async (pe) => {
      const m = await pe.ProductionEnsemble.load(workerData.dir);
      parentPort.postMessage(m.predictOne(new Float64Array(12).fill(0.5)));
    });`;
  const run = () =>
    new Promise<number>((resolve, reject) => {
      const w = new Worker(source, { eval: true, workerData: { entry: join(root, 'dist', 'index.js'), dir: productionDir } });
      w.once('message', (v) => {
        resolve(v as number);
        void w.terminate();
      });
      w.once('error', reject);
    });
  const [a, b] = await Promise.all([run(), run()]);
  const expected = main.predictOne(new Float64Array(12).fill(0.5));
  expect(a).toBe(expected);
  expect(b).toBe(expected);
  expect(main.predictOne(new Float64Array(12).fill(0.5))).toBe(expected);
  main.close();
});

// worker.terminate() and process.exit() in a worker stop its environment while loads and async
// batches are still on the thread pool; their completions then cannot reach JS. That aborted the
// whole process ("terminate called after throwing Napi::Error"): the child must now exit 0.
it('workers stopped mid-load and mid-scoring (terminate, process.exit) never take the process down', () => {
  const workerSource = `
    const { parentPort, workerData: { entry, dir, mode, exitAfter } } = require('node:worker_threads');
    import(entry).then(async (pe) => {
      if (exitAfter >= 0) setTimeout(() => process.exit(7), exitAfter);
      parentPort.postMessage('started');
      const big = new Float64Array(200000 * 12).fill(1.5);
      const bad = new Float64Array(50000 * 12).fill(Infinity);
      for (;;) {
        if (mode === 'load') {
          await Promise.all([pe.ProductionEnsemble.load(dir), pe.ProductionEnsemble.load(dir), pe.LightGBMModel.load(dir + '/lightgbm.txt'),
            pe.XGBoostModel.load(dir + '/xgboost.json'), pe.RandomForestModel.load(dir + '/random_forest.forest')]);
        } else if (mode === 'score') {
          const m = await pe.ProductionEnsemble.load(dir);
          await Promise.all([m.predictProbaAsync(big), m.predictModelsAsync(big), m.models.lightgbm.predictRawAsync(big), m.models.randomForest.predictProbaAsync(big)]);
        } else if (mode === 'reject') {
          const m = await pe.ProductionEnsemble.load(dir);
          await Promise.all([pe.ProductionEnsemble.load(dir + '/missing').catch(() => 0), pe.XGBoostModel.load(dir + '/lightgbm.txt').catch(() => 0),
            m.predictProbaAsync(bad).catch(() => 0), m.models.xgboost.predictProbaAsync(bad).catch(() => 0)]);
        } else {
          const m = pe.ProductionEnsemble.loadSync(dir);
          m.predictProba(big);
          try { m.predictProba(bad); } catch {}
          m.close();
          await new Promise(setImmediate);
        }
      }
    });`;
  const r = runChild(`
    import { Worker } from 'node:worker_threads';
    import * as pe from ${JSON.stringify(join(root, 'dist', 'index.js'))};
    const main = await pe.ProductionEnsemble.load(${JSON.stringify(productionDir)});
    const row = new Float64Array(12).fill(0.5);
    const before = main.predictOne(row);
    let stopped = 0;
    for (const mode of ['load', 'score', 'reject', 'sync']) {
      for (const how of mode === 'sync' ? ['terminate'] : ['terminate', 'exit']) {
        for (const delay of [0, 15, 60, 200]) {
          const w = new Worker(${JSON.stringify(workerSource)}, { eval: true, execArgv: [], workerData: {
            entry: ${JSON.stringify(join(root, 'dist', 'index.js'))}, dir: ${JSON.stringify(productionDir)}, mode, exitAfter: how === 'exit' ? delay : -1 } });
          await new Promise((resolve, reject) => {
            w.once('error', reject);
            w.once('exit', resolve);
            if (how === 'terminate') w.once('message', () => setTimeout(() => w.terminate(), delay));
          });
          stopped++;
        }
      }
    }
    console.log(JSON.stringify({ stopped, same: main.predictOne(row) === before }));
    main.close();`);
  expect(r.signal, r.stderr).toBeNull();
  expect(r.status, r.stderr).toBe(0);
  expect(JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}')).toEqual({ stopped: 28, same: true });
}, 120_000);
