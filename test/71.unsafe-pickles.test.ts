// The exporter and migrate read pickles through an allow-list (tools/safe_unpickle.py): files that
// run a command under a plain pickle.load / joblib.load (tools/make_hostile_pickles.py) are refused,
// naming the callable, and the command never runs; real model files still load, every way saved.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findPython, migrate } from '../dist/cli/migrate.js';
import { ERROR_CODES } from '../dist/error-codes.js';
import { root } from './helpers.js';

const work = mkdtempSync(join(tmpdir(), 'pe-unsafe-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

let python = '';
try {
  python = findPython();
} catch (e) {
  console.warn(`skipping the unsafe-pickle tests: ${(e as Error).message}`);
}

const exporter = join(root, 'tools', 'export_sklearn_forest.py');
const maker = join(root, 'tools', 'make_hostile_pickles.py');
const seed = 'src.ml.ensemble.ProductionEnsemble';
// file -> [the name migrate refuses, the name the exporter refuses]: the first name outside each
// tool's allow-list (the exporter reads no ProductionEnsemble, so it stops at the seed's class).
const hostile: Record<string, [string, string]> = {
  'os-system.pkl': ['os.system', 'os.system'],
  'posix-system.pkl': ['posix.system', 'posix.system'],
  'builtins-eval.pkl': ['builtins.eval', 'builtins.eval'],
  'builtins-exec.pkl': ['builtins.exec', 'builtins.exec'],
  'subprocess-popen.pkl': ['subprocess.Popen', 'subprocess.Popen'],
  'getattr-import.pkl': ['builtins.getattr', 'builtins.getattr'],
  'reconstructor-popen.pkl': ['subprocess.Popen', 'subprocess.Popen'],
  'seed-wrapped.pkl': ['posix.system', seed],
  'seed-nested-in-forest.pkl': ['posix.system', seed],
  'forest-nested.pkl': ['posix.system', 'posix.system'],
  'forest-nested.joblib': ['posix.system', 'posix.system'],
  'forest-object-array.joblib': ['posix.system', 'posix.system'],
};
const file = (kind: string, name: string) => join(work, kind, name);
const marker = (name: string) => join(work, 'hostile-markers', name);
const byTool = (i: 0 | 1) => Object.entries(hostile).map(([f, names]) => [f, names[i]] as const);
const tempDirs = () => readdirSync(work).filter((f) => f.startsWith('.'));

describe.skipIf(python === '')('with Python', () => {
  beforeAll(() => {
    const r = spawnSync(python, [maker, work], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`make_hostile_pickles.py failed: ${r.stderr}`);
  }, 120_000);

  it('every hostile file runs its command under a plain joblib.load (the control)', () => {
    const files = Object.keys(hostile).map((f) => file('control', f));
    const r = spawnSync(python, [maker, '--plain-load', ...files], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(Object.fromEntries(Object.keys(hostile).map((f) => [f, true])));
  }, 60_000);

  it.each(byTool(1))('the exporter refuses %s, naming %s, and runs nothing', (name, refused) => {
    const out = join(work, `${name}.forest`);
    const r = spawnSync(python, [exporter, file('hostile', name), out], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(3);
    expect(r.stderr).toContain(`${file('hostile', name)}: refused to unpickle ${refused}: this tool reads only scikit-learn forest`);
    expect(existsSync(marker(name))).toBe(false);
    expect(existsSync(out)).toBe(false);
  });

  it.each(byTool(0))('migrate refuses %s with ERR_UNSAFE_PICKLE, naming %s, and runs nothing', async (name, refused) => {
    const out = join(work, `out-${name}`);
    await expect(migrate(file('hostile', name), out)).rejects.toMatchObject({
      code: 'ERR_UNSAFE_PICKLE',
      message: expect.stringContaining(`${file('hostile', name)}: refused to unpickle ${refused}:`),
    });
    expect(existsSync(marker(name))).toBe(false);
    expect(existsSync(out)).toBe(false);
    expect(tempDirs()).toEqual([]);
  });

  it('the CLI exits with the code of ERR_UNSAFE_PICKLE and names the code and the name', () => {
    const r = spawnSync(process.execPath, [join(root, 'dist', 'cli', 'main.js'), 'migrate', file('hostile', 'seed-wrapped.pkl'), join(work, 'cli')], {
      encoding: 'utf8',
    });
    expect(r.status).toBe(ERROR_CODES.ERR_UNSAFE_PICKLE.exitCode);
    expect(r.stderr).toContain('UnsafePickleError [ERR_UNSAFE_PICKLE]');
    expect(r.stderr).toContain('refused to unpickle posix.system');
    expect(readdirSync(join(work, 'hostile-markers'))).toEqual([]);
  });

  it.each(['p0.pkl', 'p1.pkl', 'p2.pkl', 'p3.pkl', 'p4.pkl', 'p5.pkl', 'numpy1.pkl', 'plain.joblib', 'zlib.joblib', 'gzip.joblib', 'bz2.joblib', 'xz.joblib'])(
    'a real forest saved as %s exports byte for byte as in the process that trained it',
    (how) => {
      const out = join(work, `forest-${how}.forest`);
      const r = spawnSync(python, [exporter, file('benign', `forest-${how}`), out], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      expect(readFileSync(out).equals(readFileSync(file('benign', 'expected.forest')))).toBe(true);
    },
  );

  it('a compressed joblib seed-style ensemble migrates', async () => {
    const r = await migrate(file('benign', 'seed.joblib'), join(work, 'from-joblib'), { checkRows: 16 });
    expect(r.standInClasses).toEqual([seed]);
    expect(r.checkedRows).toBe(16);
  });

  it('another class of the original system is refused, with a hint, unless named with standIns', async () => {
    const pkl = file('benign', 'seed-extra-class.pkl');
    await expect(migrate(pkl, join(work, 'extra'))).rejects.toMatchObject({
      code: 'ERR_UNSAFE_PICKLE',
      message: expect.stringContaining('refused to unpickle src.ml.config.EnsembleConfig: this tool reads only'),
    });
    await expect(migrate(pkl, join(work, 'extra'))).rejects.toThrow('--stand-in src.ml.config.EnsembleConfig reads it as inert data');
    const r = await migrate(pkl, join(work, 'extra'), { standIns: ['src.ml.config.EnsembleConfig'], checkRows: 8 });
    expect(r.standInClasses).toEqual(['src.ml.config.EnsembleConfig', seed]);
    // Never a library's class: an inert Pipeline would hide what it does to the models' outputs.
    await expect(migrate(pkl, join(work, 'pipe'), { standIns: ['sklearn.pipeline.Pipeline'] })).rejects.toMatchObject({
      code: 'ERR_MIGRATE',
      message: expect.stringContaining('classes of sklearn are never stood in for'),
    });
  });

  it('a tree whose child index is out of range is refused before scikit-learn walks it (it would segfault)', async () => {
    const r = spawnSync(python, [exporter, file('damaged', 'forest-bad-child.pkl'), join(work, 'bad.forest')], { encoding: 'utf8' });
    expect(r.signal).toBeNull();
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('tree 0: children are not after their parent');
    await expect(migrate(file('damaged', 'seed-bad-child.pkl'), join(work, 'bad'))).rejects.toMatchObject({
      code: 'ERR_MIGRATE',
      message: expect.stringContaining("the random forest at pickle.models['random_forest'] cannot be exported: tree 0: children are not after"),
    });
  });
});
