// The addon is context-aware: the ensemble loads and scores inside a worker_thread, and gives
// the same numbers as on the main thread.
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { expect, it } from 'vitest';
import { ProductionEnsemble } from '../dist/index.js';
import { fixtures, productionDir, readF64, root } from './helpers.js';

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
