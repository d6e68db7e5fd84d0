// Reloads under load (issue 13, item 6): sync and async scoring run on the main thread and in
// worker_threads while versions are swapped underneath; no call fails, every result is exactly
// the output of the version that scored it, a failing reload leaves the old version's results,
// and memory stays flat over many reloads. The 10,000-reload figure: bench/js/reload-rss.mjs.
import { renameSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ModelStore, ProductionEnsemble } from '../dist/index.js';
import { fixtures, readF64, root } from './helpers.js';
import { B_WEIGHTS, smallDir, tempDir, versionDir } from './serving-helpers.js';

const x = readF64(join(fixtures, 'production', 'inputs.f64')).slice(0, 40 * 12);
let tmp: string;
let dirA: string;
let dirB: string;
let broken: string;
const expected: Record<string, Float64Array> = {};

beforeAll(async () => {
  tmp = tempDir();
  dirA = versionDir(join(tmp, 'A'));
  dirB = versionDir(join(tmp, 'B'), B_WEIGHTS);
  // Its files match their checksums but the forest is not a forest: the load itself fails.
  broken = versionDir(join(tmp, 'broken'), B_WEIGHTS);
  rmSync(join(broken, 'random_forest.forest'));
  using a = await ProductionEnsemble.load(dirA);
  using b = await ProductionEnsemble.load(dirB);
  expected[a.version as string] = a.predictProba(x);
  expected[b.version as string] = b.predictProba(x);
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Which version's output `out` is (rows of x, or one row at `row`), or undefined for neither. */
function whose(out: ArrayLike<number>, row = -1): string | undefined {
  for (const [v, e] of Object.entries(expected)) {
    if (row >= 0 ? out[0] === e[row] : out.length === e.length && Array.prototype.every.call(out, (p: number, i: number) => p === e[i])) return v;
  }
  return undefined;
}

/** Scores in a loop, sync and async interleaved, until `stop()`; tallies whose output each result is. */
function scoringLoop(m: ProductionEnsemble) {
  const tally = { calls: 0, failed: [] as string[], wrong: 0, byVersion: {} as Record<string, number> };
  let running = true;
  const note = (v: string | undefined, version: string | undefined) => {
    tally.calls++;
    if (v === undefined || v !== version) tally.wrong++;
    else tally.byVersion[v] = (tally.byVersion[v] ?? 0) + 1;
  };
  const syncLoop = async () => {
    for (let i = 0; running; i++) {
      try {
        const r = i % 40;
        const one = m.predictOne(x.subarray(r * 12, r * 12 + 12));
        note(whose([one], r), m.version); // the same tick: the version that scored it
        note(whose(m.predictProba(x)), m.version);
      } catch (e) {
        tally.failed.push(String(e));
      }
      await new Promise((res) => setImmediate(res));
    }
  };
  const asyncLoop = async () => {
    while (running) {
      try {
        const r = await m.predictModelsAsync(x);
        note(whose(r.ensemble), r.version);
      } catch (e) {
        tally.failed.push(String(e));
      }
    }
  };
  const loops = [syncLoop(), asyncLoop(), asyncLoop()];
  return {
    tally,
    stop: async () => {
      running = false;
      await Promise.all(loops);
      return tally;
    },
  };
}

it('main thread: 12 reloads between two versions while sync and async calls run; a failing reload leaves the old version', async () => {
  using m = await ProductionEnsemble.load(dirA);
  const loop = scoringLoop(m);
  for (let i = 0; i < 12; i++) await m.reload(i % 2 === 0 ? dirB : dirA);
  const t = await loop.stop();
  expect(t.failed).toEqual([]);
  expect(t.wrong).toBe(0);
  expect(Object.keys(t.byVersion).sort()).toEqual(Object.keys(expected).sort());
  expect(t.calls).toBeGreaterThan(100);

  // Failing reloads under load: every later result is the old version's.
  const old = m.version as string;
  const after = scoringLoop(m);
  for (let i = 0; i < 5; i++) await expect(m.reload(broken)).rejects.toThrow(/random_forest\.forest/);
  const t2 = await after.stop();
  expect(t2.failed).toEqual([]);
  expect(t2.wrong).toBe(0);
  expect(Object.keys(t2.byVersion)).toEqual([old]);
  expect(m.getModelInfo().reloads.failed).toBe(5);
});

const workerSource = `
  const { parentPort, workerData: { entry, store, x, expected } } = require('node:worker_threads');
  import(entry).then(async (pe) => {
    const reloads = [];
    const m = await pe.ProductionEnsemble.load(store, { watch: { debounceMs: 20, pollMs: 100 }, onReload: (r) => { reloads.push(r); parentPort.postMessage({ reload: r }); } });
    let tally = { calls: 0, failed: [], wrong: 0, byVersion: {} };
    const note = (out, version, row) => {
      tally.calls++;
      const e = expected[version];
      const ok = e && (row >= 0 ? out[0] === e[row] : out.length === e.length && out.every((p, i) => p === e[i]));
      if (!ok) tally.wrong++;
      else tally.byVersion[version] = (tally.byVersion[version] || 0) + 1;
    };
    let running = true;
    parentPort.on('message', async (msg) => {
      if (msg === 'tally') { parentPort.postMessage({ tally }); tally = { calls: 0, failed: [], wrong: 0, byVersion: {} }; }
      if (msg === 'stop') { running = false; }
    });
    parentPort.postMessage({ ready: m.version });
    const sync = async () => {
      for (let i = 0; running; i++) {
        try {
          const r = i % 40;
          note([m.predictOne(x.subarray(r * 12, r * 12 + 12))], m.version, r);
          note(Array.from(m.predictProba(x)), m.version, -1);
        } catch (e) { tally.failed.push(String(e)); }
        await new Promise((res) => setImmediate(res));
      }
    };
    const async_ = async () => {
      while (running) {
        try { const r = await m.predictModelsAsync(x); note(Array.from(r.ensemble), r.version, -1); }
        catch (e) { tally.failed.push(String(e)); }
      }
    };
    await Promise.all([sync(), async_(), async_()]);
    m.close();
    parentPort.postMessage({ done: tally });
  }).catch((e) => parentPort.postMessage({ error: String(e && e.stack || e) }));`;

it('worker threads follow a store (watch) while it is promoted, rolled back and pointed at a broken version', async () => {
  const store = new ModelStore(join(tmp, 'store'));
  await store.publish(dirA, 'v1', { promote: true });
  await store.publish(dirB, 'v2');
  // In the store the versions are named v1 / v2: the expected outputs under those names.
  const byName = { v1: expected[Object.keys(expected)[0] as string], v2: expected[Object.keys(expected)[1] as string] };
  {
    using a = await ProductionEnsemble.load(dirA);
    if (a.version !== Object.keys(expected)[0]) [byName.v1, byName.v2] = [byName.v2, byName.v1];
  }
  const workers: { w: Worker; reloads: { ok: boolean; version?: string }[]; next: (key: string) => Promise<unknown> }[] = [];
  for (let i = 0; i < 3; i++) {
    const w = new Worker(workerSource, { eval: true, workerData: { entry: join(root, 'dist', 'index.js'), store: store.path, x, expected: byName } });
    const reloads: { ok: boolean; version?: string }[] = [];
    const waiters: { key: string; resolve: (v: unknown) => void }[] = [];
    w.on('message', (msg: Record<string, unknown>) => {
      if (msg.error) throw new Error(String(msg.error));
      if (msg.reload) reloads.push(msg.reload as { ok: boolean });
      for (const k of Object.keys(msg)) {
        const at = waiters.findIndex((x) => x.key === k);
        if (at >= 0) waiters.splice(at, 1)[0]?.resolve(msg[k]);
      }
    });
    w.on('error', (e) => {
      throw e;
    });
    workers.push({ w, reloads, next: (key) => new Promise((resolve) => waiters.push({ key, resolve })) });
  }
  expect(await Promise.all(workers.map((w) => w.next('ready')))).toEqual(['v1', 'v1', 'v1']);
  const until = async (cond: () => boolean) => {
    const end = Date.now() + 30_000;
    while (!cond()) {
      if (Date.now() > end) throw new Error(`timed out: ${JSON.stringify(workers.map((w) => w.reloads))}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const steps: (() => Promise<unknown>)[] = [() => store.promote('v2'), () => store.rollback(), () => store.rollback(), () => store.promote('v1')];
  for (const [i, step] of steps.entries()) {
    await step();
    await until(() => workers.every((w) => w.reloads.length === i + 1));
  }
  for (const w of workers) expect(w.reloads.map((r) => [r.ok, r.version])).toEqual([[true, 'v2'], [true, 'v1'], [true, 'v2'], [true, 'v1']]);
  for (const w of workers) w.w.postMessage('tally');
  const tallies = (await Promise.all(workers.map((w) => w.next('tally')))) as { calls: number; failed: string[]; wrong: number; byVersion: Record<string, number> }[];
  for (const t of tallies) {
    expect(t.failed).toEqual([]);
    expect(t.wrong).toBe(0);
    expect(t.calls).toBeGreaterThan(50);
  }

  // current pointed by hand at a version whose forest is missing: each worker reports the failure
  // and goes on with v1, and every result after that is v1's.
  const v3 = join(store.path, 'v3');
  versionDir(v3, B_WEIGHTS);
  rmSync(join(v3, 'random_forest.forest'));
  symlinkSync('v3', join(store.path, '.next'));
  renameSync(join(store.path, '.next'), join(store.path, 'current'));
  await until(() => workers.every((w) => w.reloads.length === 5));
  for (const w of workers) expect(w.reloads[4]).toMatchObject({ ok: false, errorCode: 'ERR_MODEL_NOT_FOUND' });
  for (const w of workers) w.w.postMessage('tally');
  await Promise.all(workers.map((w) => w.next('tally')));
  await new Promise((r) => setTimeout(r, 300));
  for (const w of workers) w.w.postMessage('stop');
  const last = (await Promise.all(workers.map((w) => w.next('done')))) as { calls: number; failed: string[]; wrong: number; byVersion: Record<string, number> }[];
  for (const t of last) {
    expect(t.failed).toEqual([]);
    expect(t.wrong).toBe(0);
    expect(Object.keys(t.byVersion)).toEqual(['v1']);
    expect(t.calls).toBeGreaterThan(10);
  }
  await Promise.all(workers.map((w) => w.w.terminate()));
});

it('RSS stays flat over 300 reloads of a small ensemble (10,000: bench/js/reload-rss.mjs)', async () => {
  const small = smallDir(join(tmp, 'small'));
  using m = await ProductionEnsemble.load<string>(small);
  const row = new Float64Array(7).fill(0.5);
  const cycle = async (n: number) => {
    for (let i = 0; i < n; i++) {
      await m.reload();
      m.predictOne(row);
    }
  };
  await cycle(100); // warm: arenas, V8's heap, the libraries' first-use allocations
  globalThis.gc?.();
  const warm = process.memoryUsage().rss;
  await cycle(300);
  globalThis.gc?.();
  const grown = (process.memoryUsage().rss - warm) / 2 ** 20;
  expect(m.getModelInfo().reloads.succeeded).toBe(400);
  // Each reload frees the generation it replaces: a leak of one small ensemble per reload
  // (~300 KB of trees and engine) would add ~90 MB here.
  expect(grown).toBeLessThan(15);
});
