// Hot swap (issue 13, item 1): reload replaces the models atomically, calls in flight finish on the
// old ones, and every way a new version can be wrong leaves the old one serving, reported.
import { copyFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClosedError, MetadataError, ModelFormatError, ModelNotFoundError, ProductionEnsemble, type ReloadOutcome, SelfCheckError } from '../dist/index.js';
import { fixtures, productionDir, readF64 } from './helpers.js';
import { B_WEIGHTS, readMeta, resign, smallDir, twoVersions, versionDir, writeMeta } from './serving-helpers.js';

const x = readF64(join(fixtures, 'production', 'inputs.f64'));
const row = x.slice(0, 12);
let tmp: string;
let dirA: string;
let dirB: string;
let expectA: Float64Array;
let expectB: Float64Array;

beforeAll(async () => {
  ({ tmp, dirA, dirB, expectA, expectB } = await twoVersions(x));
  // B must differ from A on every row for "which version scored" to be decidable.
  for (let i = 0; i < expectA.length; i++) expect(expectA[i]).not.toBe(expectB[i]);
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('reload', () => {
  it('swaps the models: later calls score with the new version; getModelInfo says which and since when', async () => {
    using m = await ProductionEnsemble.load(dirA);
    const before = m.getModelInfo();
    expect(before.version).toMatch(/^sha256:[0-9a-f]{12}$/);
    expect(before.reloads).toEqual({ succeeded: 0, failed: 0 });
    expect(m.predictProba(x)).toEqual(expectA);
    const events: ReloadOutcome[] = [];
    m.onReload((r) => events.push(r));
    const r = await m.reload(dirB);
    expect(r).toMatchObject({ ok: true, trigger: 'reload', directory: dirB, previousVersion: before.version });
    expect(r.version).not.toBe(before.version);
    expect(events).toEqual([r]);
    expect(m.predictProba(x)).toEqual(expectB);
    expect(m.predictOne(row)).toBe(expectB[0]);
    expect(await m.predictProbaAsync(x)).toEqual(expectB);
    expect(m.predictModels(x).version).toBe(r.version);
    const after = m.getModelInfo();
    expect(after.version).toBe(r.version);
    expect(after.directory).toBe(dirB);
    expect(Date.parse(after.servingSince)).toBeGreaterThanOrEqual(Date.parse(before.servingSince));
    expect(after.reloads).toEqual({ succeeded: 1, failed: 0, last: r });
    expect(after.weights).toEqual({ lightgbm: 0.5, xgboost: 0.3, randomForest: 0.2 });
    // reload() with no argument reloads the directory in force (the last one given).
    const again = await m.reload();
    expect(again.directory).toBe(dirB);
    expect(again.version).toBe(r.version);
  });

  it('an async batch started before the swap finishes on the old models', async () => {
    using m = await ProductionEnsemble.load(dirA);
    const big = new Float64Array(x.length * 400);
    for (let i = 0; i < 400; i++) big.set(x, i * x.length);
    const inFlight = m.predictProbaAsync(big);
    const models = m.models; // the old generation's models, closed when it is retired
    await m.reload(dirB);
    const out = await inFlight;
    for (let i = 0; i < 400; i++) expect(out.subarray(i * expectA.length, (i + 1) * expectA.length)).toEqual(expectA);
    expect(m.predictProba(x)).toEqual(expectB);
    expect(models.lightgbm.closed).toBe(true);
  });

  it('every way a new version can be wrong leaves the old one serving, and says why', async () => {
    const cases: [string, () => string, new (...a: never[]) => Error, RegExp][] = [
      ['a missing directory', () => join(tmp, 'nope'), ModelNotFoundError, /does not exist/],
      ['a missing file', () => {
        const d = versionDir(join(tmp, 'missing'), B_WEIGHTS);
        rmSync(join(d, 'xgboost.json'));
        return d;
      }, ModelNotFoundError, /xgboost\.json/],
      ['a bad checksum', () => {
        const d = versionDir(join(tmp, 'checksum'), B_WEIGHTS);
        writeFileSync(join(d, 'lightgbm.txt'), 'tree\n', { flag: 'a' });
        return d;
      }, MetadataError, /sha256 is .* but .* says/],
      ['a corrupt model whose checksum matches', () => {
        const d = versionDir(join(tmp, 'corrupt'), B_WEIGHTS);
        writeFileSync(join(d, 'xgboost.json'), '{"learner": {"gradient_booster": ');
        resign(d, 'xgboost', 'xgboost.json');
        return d;
      }, ModelFormatError, /xgboost\.json/],
      ['other feature names', () => {
        const d = smallDir(join(tmp, 'small'));
        return d;
      }, SelfCheckError, /the new version has 7 features, the serving version 12/],
      ['invalid metadata', () => {
        const d = versionDir(join(tmp, 'meta'), B_WEIGHTS);
        writeMeta(d, { ...readMeta(d), model_weights: { lightgbm: 0.9, xgboost: 0.9, random_forest: 0.2 } });
        return d;
      }, MetadataError, /model_weights sum to/],
    ];
    using m = await ProductionEnsemble.load(dirA);
    const version = m.version;
    let failed = 0;
    for (const [what, make, Cls, message] of cases) {
      const dir = make();
      const err = await m.reload(dir).then(() => undefined, (e: unknown) => e);
      expect(err, what).toBeInstanceOf(Cls);
      expect((err as Error).message, what).toMatch(message);
      failed++;
      expect(m.version, what).toBe(version);
      expect(m.predictProba(x), what).toEqual(expectA);
      expect(m.predictOne(row), what).toBe(expectA[0]);
      const info = m.getModelInfo();
      expect(info.reloads.failed, what).toBe(failed);
      expect(info.reloads.last, what).toMatchObject({ ok: false, directory: dir, errorCode: (err as { code: string }).code });
      expect(info.directory, what).toBe(dirA);
    }
    // A failed reload with a path does not change what reload() reloads.
    expect((await m.reload()).directory).toBe(dirA);
  });

  it('selfCheck sees the candidate before it serves and can refuse it', async () => {
    using m = await ProductionEnsemble.load(dirA);
    const seen: number[] = [];
    const err = await m
      .reload(dirB, {
        selfCheck: (c) => {
          seen.push(c.predictOne(row), c.predictProba(x)[1] as number);
          expect(c.featureNames).toEqual(m.featureNames);
          throw new Error('drifted too far');
        },
      })
      .catch((e: unknown) => e);
    expect(seen).toEqual([expectB[0], expectB[1]]);
    expect(err).toBeInstanceOf(SelfCheckError);
    expect((err as Error).message).toBe(`${dirB}: selfCheck failed: drifted too far`);
    expect(m.predictProba(x)).toEqual(expectA);
    // An async check that passes lets it in.
    await m.reload(dirB, { selfCheck: async (c) => void (await Promise.resolve(c.predictOne(row)))});
    expect(m.predictProba(x)).toEqual(expectB);
  });

  it('reloads are serialised: the second starts when the first has swapped, and both are reported in order', async () => {
    using m = await ProductionEnsemble.load(dirA);
    const order: string[] = [];
    m.onReload((r) => order.push(r.directory));
    const [r1, r2, r3] = await Promise.all([m.reload(dirB), m.reload(dirA), m.reload(dirB)]);
    expect([r1.directory, r2.directory, r3.directory]).toEqual([dirB, dirA, dirB]);
    expect(order).toEqual([dirB, dirA, dirB]);
    expect(r2.previousVersion).toBe(r1.version);
    expect(m.predictProba(x)).toEqual(expectB);
  });

  it('close() during a reload: the reload rejects with ClosedError and what it loaded is freed', async () => {
    const m = await ProductionEnsemble.load(dirA);
    const events: ReloadOutcome[] = [];
    m.onReload((r) => events.push(r));
    const pending = m.reload(dirB);
    const queued = m.reload(dirA);
    m.close();
    await expect(pending).rejects.toBeInstanceOf(ClosedError);
    await expect(queued).rejects.toBeInstanceOf(ClosedError);
    expect(events).toEqual([]);
    expect(() => m.predictOne(row)).toThrow(ClosedError);
    await expect(m.reload(dirB)).rejects.toBeInstanceOf(ClosedError);
  });

  it('fromModels ensembles reload from a directory; with none, reload() says what it needs', async () => {
    using a = await ProductionEnsemble.load(dirA);
    const built = ProductionEnsemble.fromModels(a.models, { featureNames: a.featureNames });
    expect(built.version).toBeUndefined();
    await expect(built.reload()).rejects.toThrow('this ensemble was built with fromModels: give reload a model directory or store');
    await built.reload(dirB);
    expect(built.predictProba(x)).toEqual(expectB);
    built.close();
    // The models passed to fromModels stay the caller's: reload did not close them.
    expect(a.models.lightgbm.closed).toBe(false);
    expect(a.predictProba(x)).toEqual(expectA);
  });

  it('loadSync and a copy of the directory: same files, same version', async () => {
    const copy = join(tmp, 'copyA');
    versionDir(copy);
    copyFileSync(join(productionDir, 'lightgbm.txt'), join(copy, 'lightgbm.txt'));
    using a = ProductionEnsemble.loadSync(dirA);
    using c = await ProductionEnsemble.load(copy);
    expect(c.version).toBe(a.version);
  });
});
