// The model store (issue 13, item 2) and watch mode (item 1): versions published whole, current
// and previous pointers switched atomically, load(store) serving current, and a watching ensemble
// that follows promotes and rollbacks, never loads a half-copied version and reports a bad one.
import { copyFileSync, lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelStore, ModelStoreError, ProductionEnsemble, type ReloadOutcome } from '../dist/index.js';
import { fixtures, productionDir, readF64 } from './helpers.js';
import { B_WEIGHTS, METADATA, smallDir, twoVersions, versionDir } from './serving-helpers.js';

const x = readF64(join(fixtures, 'production', 'inputs.f64'));
let tmp: string;
let dirA: string;
let dirB: string;
let expectA: Float64Array;
let expectB: Float64Array;

beforeAll(async () => {
  ({ tmp, dirA, dirB, expectA, expectB } = await twoVersions(x));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function until(cond: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const tick = () => {
      if (cond()) resolve();
      else if (Date.now() > end) reject(new Error('timed out waiting'));
      else setTimeout(tick, 20);
    };
    tick();
  });
}

describe('ModelStore', () => {
  it('publish, promote, rollback: pointers are symlinks to plain names, replaced by rename', async () => {
    const store = new ModelStore(join(tmp, 'store1'));
    await store.publish(dirA, 'v1', { promote: true });
    await store.publish(dirB, 'v2');
    expect(store.current()).toBe('v1');
    expect(store.previous()).toBeUndefined();
    expect(lstatSync(join(store.path, 'current')).isSymbolicLink()).toBe(true);
    expect(readlinkSync(join(store.path, 'current'))).toBe('v1');
    const versions = await store.versions();
    expect(versions.map((v) => [v.name, v.current, v.previous, v.complete, v.createdAt])).toEqual([
      ['v1', true, false, true, '2024-11-05T01:00:00Z'],
      ['v2', false, false, true, '2024-11-05T01:00:00Z'],
    ]);
    expect(await store.promote('v2')).toEqual({ current: 'v2', previous: 'v1' });
    using m = await ProductionEnsemble.load(store.path);
    expect(m.version).toBe('v2');
    expect(m.getModelInfo()).toMatchObject({ version: 'v2', store: store.path, directory: join(store.path, 'v2') });
    expect(m.predictProba(x)).toEqual(expectB);
    expect(await store.rollback()).toEqual({ current: 'v1', previous: 'v2' });
    expect(await m.reload()).toMatchObject({ ok: true, version: 'v1', previousVersion: 'v2' });
    expect(m.predictProba(x)).toEqual(expectA);
    // A version loaded by its own path goes by its name (and reload() keeps to that version).
    using v1 = await ProductionEnsemble.load(join(store.path, 'v1'));
    expect([v1.version, v1.getModelInfo().store]).toEqual(['v1', store.path]);
    expect((await v1.reload()).version).toBe('v1');
    // Two rollbacks undo each other.
    expect(await store.rollback()).toEqual({ current: 'v2', previous: 'v1' });
    // Nothing but versions and pointers is left behind (no temp links or lock).
    expect(entries(store.path)).toEqual(['current', 'previous', 'v1', 'v2']);
  });

  it('refuses what would break it, with ModelStoreError naming the problem', async () => {
    const store = new ModelStore(join(tmp, 'store2'));
    await expect(store.rollback()).rejects.toThrow(ModelStoreError);
    await store.publish(dirA, 'v1', { promote: true });
    await expect(store.rollback()).rejects.toThrow(`${store.path}: nothing to roll back to (no previous version recorded)`);
    await expect(store.publish(dirB, 'v1')).rejects.toThrow(`${store.path}: version 'v1' already exists`);
    await expect(store.promote('v9')).rejects.toThrow(`${store.path}: no version 'v9' (versions: v1)`);
    for (const bad of ['../v1', 'current', '.hidden', 'a/b', '']) {
      await expect(store.publish(dirB, bad), bad).rejects.toThrow(/is not a version name/);
    }
    // A half-copied source is refused and leaves nothing behind.
    const half = versionDir(join(tmp, 'half'), B_WEIGHTS);
    writeFileSync(join(half, 'random_forest.forest'), readFileSync(join(half, 'random_forest.forest')).subarray(0, 1000));
    await expect(store.publish(half, 'v2')).rejects.toThrow(/cannot publish .* as 'v2': .*random_forest\.forest/);
    expect(entries(store.path)).toEqual(['current', 'v1']);
    // A version corrupted in place after publish cannot be promoted.
    await store.publish(dirB, 'v2');
    writeFileSync(join(store.path, 'v2', 'lightgbm.txt'), 'x', { flag: 'a' });
    await expect(store.promote('v2')).rejects.toThrow(/cannot promote 'v2': .*sha256 is/);
    expect((await store.versions()).find((v) => v.name === 'v2')?.complete).toBe(false);
    // Other features: refused unless forced.
    await store.publish(smallDir(join(tmp, 'small7')), 's7');
    await expect(store.promote('s7')).rejects.toThrow(/'s7' has features \[a, b, c, d, e, f, g\], 'v1' \[close, volume/);
    expect(store.current()).toBe('v1');
    await store.promote('s7', { force: true });
    expect(store.current()).toBe('s7');
    // A pointer made by hand that leads out of the store is refused.
    rmSync(join(store.path, 'current'));
    symlinkSync('/etc', join(store.path, 'current'));
    await expect(ProductionEnsemble.load(store.path)).rejects.toThrow(`${store.path}: 'current' points to '/etc', which is not a version name of the store`);
    rmSync(join(store.path, 'current'));
    symlinkSync('v7', join(store.path, 'current'));
    await expect(ProductionEnsemble.load(store.path)).rejects.toThrow(`${store.path}: 'current' names version 'v7', which does not exist`);
  });

  it('publish copies the files a source directory links to; a link to nothing is named', async () => {
    const store = new ModelStore(join(tmp, 'store-links'));
    const linked = join(tmp, 'linked');
    mkdirSync(linked);
    for (const f of [METADATA, 'lightgbm.txt', 'xgboost.json', 'random_forest.forest']) symlinkSync(join(dirB, f), join(linked, f));
    await store.publish(linked, 'v1', { promote: true });
    expect(lstatSync(join(store.path, 'v1', 'lightgbm.txt')).isFile()).toBe(true);
    using m = await ProductionEnsemble.load(store.path);
    expect(m.predictProba(x)).toEqual(expectB);
    symlinkSync(join(tmp, 'nothing-here'), join(linked, 'extra.txt'));
    await expect(store.publish(linked, 'v2')).rejects.toThrow(ModelStoreError);
    await expect(store.publish(linked, 'v2')).rejects.toThrow(/cannot publish .*linked as 'v2': ENOENT.*extra\.txt/);
    expect(entries(store.path)).toEqual(['current', 'v1']);
  });

  it('a model directory stays a model directory (its own metadata wins over a stray current)', async () => {
    const d = versionDir(join(tmp, 'plain'));
    symlinkSync('.', join(d, 'current'));
    using m = await ProductionEnsemble.load(d);
    expect(m.getModelInfo().store).toBeUndefined();
    expect(m.version).toMatch(/^sha256:/);
  });
});

function entries(store: string): string[] {
  return readdirSync(store).sort();
}

describe('watch mode', () => {
  it('follows promote and rollback; never loads a half-copied version; reports a bad one once, the old one serving', async () => {
    const store = new ModelStore(join(tmp, 'store3'));
    await store.publish(dirA, 'v1', { promote: true });
    await store.publish(dirB, 'v2');
    const events: ReloadOutcome[] = [];
    // A version is taken as broken once unchanged and incomplete for pollMs: long enough here
    // that the copy below (done in steps 100 ms apart) is never mistaken for one.
    using m = await ProductionEnsemble.load(store.path, { watch: { debounceMs: 30, pollMs: 1000 }, onReload: (r) => events.push(r) });
    expect(m.getModelInfo().watching).toBe(true);

    await store.promote('v2');
    await until(() => events.length === 1);
    expect(events[0]).toMatchObject({ ok: true, trigger: 'watch', version: 'v2', previousVersion: 'v1' });
    expect(m.predictProba(x)).toEqual(expectB);

    await store.rollback();
    await until(() => events.length === 2);
    expect(events[1]).toMatchObject({ ok: true, trigger: 'watch', version: 'v1' });
    expect(m.predictProba(x)).toEqual(expectA);

    // v3 copied by hand, with current pointed at it while two files are missing or cut short,
    // and left so, quiet, for longer than the debounce: a watcher that loaded whatever had
    // settled for debounceMs would load it now and fail.
    const v3 = join(store.path, 'v3');
    mkdirSync(v3);
    copyFileSync(join(dirB, METADATA), join(v3, METADATA));
    copyFileSync(join(dirB, 'lightgbm.txt'), join(v3, 'lightgbm.txt'));
    writeFileSync(join(v3, 'xgboost.json'), readFileSync(join(dirB, 'xgboost.json')).subarray(0, 5000));
    symlinkSync('v3', join(store.path, '.next'));
    renameSync(join(store.path, '.next'), join(store.path, 'current'));
    await new Promise((r) => setTimeout(r, 400));
    expect(events.length).toBe(2);
    writeFileSync(join(v3, 'xgboost.json'), readFileSync(join(dirB, 'xgboost.json')));
    copyFileSync(join(dirB, 'random_forest.forest'), join(v3, 'random_forest.forest'));
    await until(() => events.length === 3);
    expect(events[2]).toMatchObject({ ok: true, trigger: 'watch', version: 'v3' });
    expect(m.predictProba(x)).toEqual(expectB);

    // A version that stays broken: reported once it has settled, the old version serving.
    const v4 = join(store.path, 'v4');
    mkdirSync(v4);
    for (const f of [METADATA, 'lightgbm.txt', 'xgboost.json', 'random_forest.forest']) copyFileSync(join(dirA, f), join(v4, f));
    writeFileSync(join(v4, 'lightgbm.txt'), 'tree\n', { flag: 'a' });
    symlinkSync('v4', join(store.path, '.next'));
    renameSync(join(store.path, '.next'), join(store.path, 'current'));
    await until(() => events.length === 4);
    expect(events[3]).toMatchObject({ ok: false, trigger: 'watch', errorCode: 'ERR_METADATA', directory: v4 });
    expect(events[3]?.error).toMatch(/lightgbm\.txt: sha256 is/);
    expect(m.version).toBe('v3');
    expect(m.predictProba(x)).toEqual(expectB);
    await new Promise((r) => setTimeout(r, 2500));
    expect(events.length).toBe(4); // reported once, not on every poll
    expect(m.getModelInfo().reloads).toMatchObject({ succeeded: 3, failed: 1, last: { ok: false, directory: v4 } });

    m.unwatch();
    expect(m.getModelInfo().watching).toBe(false);
    await store.promote('v1');
    await new Promise((r) => setTimeout(r, 1200));
    expect(events.length).toBe(4);
  });

  it('a watched model directory reloads when its files are replaced in place', async () => {
    const d = versionDir(join(tmp, 'inplace'));
    const events: ReloadOutcome[] = [];
    using m = await ProductionEnsemble.load(d, { watch: { debounceMs: 30, pollMs: 150 }, onReload: (r) => events.push(r) });
    copyFileSync(join(dirB, METADATA), join(d, `${METADATA}.tmp`));
    renameSync(join(d, `${METADATA}.tmp`), join(d, METADATA));
    await until(() => events.length === 1);
    expect(events[0]).toMatchObject({ ok: true, trigger: 'watch', directory: d });
    expect(m.predictProba(x)).toEqual(expectB);
    expect(m.getModelInfo().weights).toEqual({ lightgbm: 0.5, xgboost: 0.3, randomForest: 0.2 });
  });

  it('reload to another directory moves the watch there with the same options', async () => {
    const d1 = versionDir(join(tmp, 'moveA'));
    const d2 = versionDir(join(tmp, 'moveB'), B_WEIGHTS);
    const events: ReloadOutcome[] = [];
    using m = await ProductionEnsemble.load(d1, { watch: { debounceMs: 30, pollMs: 150 }, onReload: (r) => events.push(r) });
    await m.reload(d2);
    expect(m.getModelInfo()).toMatchObject({ watching: true, directory: d2 });
    // A file of d2 corrupted in place is reported once unchanged for pollMs: 150 ms here, 2 s
    // with the default a watcher restarted without its options would have.
    const t = Date.now();
    writeFileSync(join(d2, 'lightgbm.txt'), 'tree\n', { flag: 'a' });
    await until(() => events.length === 2, 5000);
    expect(events[1]).toMatchObject({ ok: false, trigger: 'watch', errorCode: 'ERR_METADATA', directory: d2 });
    expect(Date.now() - t).toBeLessThan(1500);
    expect(m.predictProba(x)).toEqual(expectB);
  });

  it('close() stops watching; fromModels cannot watch', async () => {
    const m = await ProductionEnsemble.load(productionDir, { watch: true });
    expect(m.getModelInfo().watching).toBe(true);
    m.close();
    using a = await ProductionEnsemble.load(dirA);
    using built = ProductionEnsemble.fromModels(a.models, { featureNames: a.featureNames });
    expect(() => built.watch()).toThrow(/fromModels/);
    expect(() => a.watch({ debounceMs: -1 })).toThrow(RangeError);
  });
});
