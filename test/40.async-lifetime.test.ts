// Async scoring really leaves the event loop and returns exactly what the sync path returns;
// close() is idempotent, later use throws ClosedError, and in-flight work is never freed under.
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
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
