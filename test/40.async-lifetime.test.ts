// Async scoring really leaves the event loop and returns exactly what the sync path returns;
// close() is idempotent, later use throws ClosedError, in-flight work is never freed under, and
// the caller's input buffer may change while a call is pending.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClosedError, LightGBMModel, ProductionEnsemble } from '../dist/index.js';
import { fixtures, productionDir, readF64, root, runChild } from './helpers.js';

const x = readF64(join(fixtures, 'production', 'inputs.f64'));
let model: ProductionEnsemble;

beforeAll(async () => {
  model = await ProductionEnsemble.load(productionDir);
});
afterAll(() => model.close());

it('1,000 concurrent predictProbaAsync calls return exactly the sync results', async () => {
  const rowsPer = 7;
  const calls = Array.from({ length: 1000 }, (_, i) => {
    const start = ((i * 13) % (x.length / 12 - rowsPer)) * 12;
    return x.slice(start, start + rowsPer * 12);
  });
  const expected = calls.map((c) => model.predictProba(c));
  const got = await Promise.all(calls.map((c) => model.predictProbaAsync(c)));
  for (let i = 0; i < calls.length; i++) expect(got[i], `call ${i}`).toEqual(expected[i]);
});

it('the event loop keeps turning while a large batch scores', async () => {
  const big = new Float64Array(200_000 * 12);
  for (let i = 0; i < big.length; i++) big[i] = x[i % x.length] as number;
  let ticks = 0;
  const timer = setInterval(() => ticks++, 1);
  await model.predictProbaAsync(big);
  clearInterval(timer);
  expect(ticks).toBeGreaterThan(0);
});

it('an async rejection carries the caller in its stack', async () => {
  const bad = new Float64Array(12).fill(Number.POSITIVE_INFINITY);
  const err = await model.predictProbaAsync(bad).catch((e: Error) => e);
  expect(err).toBeInstanceOf(Error);
  expect((err as Error).stack).toContain('40.async-lifetime.test');
});

it('close() is idempotent and later calls throw ClosedError', async () => {
  const m = await ProductionEnsemble.load(productionDir);
  m.close();
  m.close();
  expect(m.closed).toBe(true);
  const row = new Float64Array(12);
  expect(() => m.predictProba(row)).toThrow(ClosedError);
  expect(() => m.predictProba(row)).toThrow('ProductionEnsemble is closed');
  expect(() => m.predictOne(row)).toThrow(ClosedError);
  expect(() => m.getModelInfo()).toThrow(ClosedError);
  await expect(m.predictProbaAsync(row)).rejects.toThrow(ClosedError);
  expect(() => m.models.lightgbm.predictProba(row)).toThrow(ClosedError);
});

it('close() while async calls are in flight lets them finish', async () => {
  const m = await ProductionEnsemble.load(productionDir);
  const big = x.slice(0, 1000 * 12);
  const expected = model.predictProba(big);
  const pending = Array.from({ length: 16 }, () => m.predictProbaAsync(big));
  m.close();
  for (const p of await Promise.all(pending)) expect(p).toEqual(expected);
});

it('a single model closes on its own', async () => {
  const lgb = await LightGBMModel.load(join(productionDir, 'lightgbm.txt'));
  expect(lgb.predictProba(x.subarray(0, 12))).toHaveLength(1);
  lgb[Symbol.dispose]();
  expect(() => lgb.predictOne(x.subarray(0, 12))).toThrow(ClosedError);
});

it('a one-row async call is scored inline: same values, and bad input rejects instead of throwing', async () => {
  const row = x.slice(0, 12);
  const p = model.predictProbaAsync(row);
  expect(p).toBeInstanceOf(Promise);
  expect(await p).toEqual(model.predictProba(row));
  const parts = await model.predictModelsAsync(row);
  expect(parts.ensemble).toEqual(model.predictProba(row));
  const bad = row.slice();
  bad[3] = Number.POSITIVE_INFINITY;
  let settled: unknown;
  const rejected = model.predictProbaAsync(bad).then(
    () => 'resolved',
    (e: Error) => e.message,
  );
  settled = await rejected;
  expect(settled).toMatch(/row 0.*Inf/i);
  const lgb = model.models.lightgbm;
  expect(await lgb.predictProbaAsync(row)).toEqual(lgb.predictProba(row));
});

// The caller's buffer may change under a pending async call: the input is copied when the call is
// made (docs/threads.md). Each case runs in a child process (reading a shrunk buffer crashed it)
// and compares the async scores with the sync scores of the original rows.
describe('an async call copies its input when it is made', () => {
  const rows = 200_000;
  const check = (attack: string, extraSetup = '') => {
    const r = runChild(`
      import * as pe from ${JSON.stringify(join(root, 'dist', 'index.js'))};
      import { Worker } from 'node:worker_threads';
      const m = await pe.ProductionEnsemble.load(${JSON.stringify(productionDir)});
      const rows = ${rows};
      const make = (buffer) => { const x = new Float64Array(buffer, 0, rows * 12); for (let i = 0; i < x.length; i++) x[i] = ((i * 7919) % 1000) / 10; return x; };
      ${extraSetup}
      const expected = m.predictProba(make(new ArrayBuffer(rows * 96)));
      ${attack}
      let wrong = 0;
      for (let i = 0; i < rows; i++) if (got[i] !== expected[i]) wrong++;
      console.log(JSON.stringify({ wrong, length: got.length }));
      m.close();
      process.exit(0);`);
    expect(r.signal, r.stderr).toBeNull();
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}')).toEqual({ wrong: 0, length: rows });
  };

  it('the buffer transferred to a worker (postMessage), which overwrites it', () => {
    check(`
      const x = make(new ArrayBuffer(rows * 96));
      const w = new Worker("require('node:worker_threads').parentPort.on('message', (b) => { new Float64Array(b).fill(0); process.exit(0); })", { eval: true, execArgv: [] });
      const pending = m.predictProbaAsync(x);
      w.postMessage(x.buffer, [x.buffer]);
      const got = await pending;`);
  });

  it('the buffer detached by ArrayBuffer.prototype.transfer (structuredClone on Node 20) and refilled', () => {
    check(`
      const x = make(new ArrayBuffer(rows * 96));
      const pending = m.predictProbaAsync(x);
      const moved = x.buffer.transfer ? x.buffer.transfer() : structuredClone(x.buffer, { transfer: [x.buffer] });
      new Float64Array(moved).fill(0);
      const got = await pending;
      if (x.length !== 0) throw new Error('not detached');`);
  });

  it('a resizable ArrayBuffer shrunk to nothing', () => {
    check(`
      const ab = new ArrayBuffer(rows * 96, { maxByteLength: rows * 96 });
      const x = make(ab);
      const pending = m.predictProbaAsync(x);
      ab.resize(0);
      const got = await pending;`);
  });

  it('the buffer refilled with the next batch before awaiting (200,000 rows)', () => {
    check(`
      const x = make(new ArrayBuffer(rows * 96));
      const pending = m.predictProbaAsync(x);
      x.fill(1);
      const got = await pending;`);
  });

  it('every async method: predictModelsAsync, the boosters (float32, raw) and the forest', () => {
    const r = runChild(`
      import * as pe from ${JSON.stringify(join(root, 'dist', 'index.js'))};
      const m = await pe.ProductionEnsemble.load(${JSON.stringify(productionDir)});
      const x64 = new Float64Array(50_000 * 12).map((_, i) => ((i * 7919) % 1000) / 10);
      const x32 = Float32Array.from(x64);
      const { lightgbm, xgboost, randomForest } = m.models;
      const cases = [
        ['predictModelsAsync', (x) => m.predictModels(x).lightgbm, async (x) => (await m.predictModelsAsync(x)).lightgbm, x64],
        ['lightgbm.predictRawAsync', (x) => lightgbm.predictRaw(x), (x) => lightgbm.predictRawAsync(x), x32],
        ['xgboost.predictProbaAsync', (x) => xgboost.predictProba(x), (x) => xgboost.predictProbaAsync(x), x32],
        ['randomForest.predictProbaAsync', (x) => randomForest.predictProba(x), (x) => randomForest.predictProbaAsync(x), x64],
      ];
      const result = {};
      for (const [name, sync, async, input] of cases) {
        const x = input.slice();
        const expected = sync(x);
        const pending = async(x);
        x.fill(2);
        const got = await pending;
        result[name] = got.every((v, i) => v === expected[i]);
      }
      console.log(JSON.stringify(result));
      m.close();`);
    expect(r.signal, r.stderr).toBeNull();
    expect(JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}')).toEqual({
      predictModelsAsync: true, 'lightgbm.predictRawAsync': true, 'xgboost.predictProbaAsync': true, 'randomForest.predictProbaAsync': true,
    });
  });
});

it('close() frees a model at once: 100 load / score / close cycles keep RSS flat', () => {
  // The native model stayed alive until V8 collected a handle, and each load's transient memory
  // (parsed documents, file bytes) stayed in a libuv thread's malloc arena: RSS grew by ~700 MB
  // over 1,000 ensemble cycles (issue 9, item 19). Here, before the fix: +200 MB with the handle,
  // +60 MB with the arenas alone; after it, +4 MB. Measured in a fresh process.
  const r = runChild(`
    import * as pe from ${JSON.stringify(join(root, 'dist', 'index.js'))};
    const x = new Float64Array(12 * 1000).map((_, i) => ((i * 7919) % 1009) / 97);
    const rss = () => process.memoryUsage().rss / 2 ** 20;
    let first = 0;
    for (let i = 0; i < 100; i++) {
      const m = await pe.XGBoostModel.load(${JSON.stringify(join(productionDir, 'xgboost.json'))});
      await m.predictProbaAsync(x);
      m.predictProba(x);
      m.close();
      if (i === 0) first = rss();
    }
    console.log(JSON.stringify({ first, grew: rss() - first }));`);
  expect(r.status, r.stderr).toBe(0);
  const { first, grew } = JSON.parse(r.stdout.trim().split('\n').pop() ?? '');
  expect(grew, `RSS ${first.toFixed(0)} MB after the first cycle`).toBeLessThan(20);
});
