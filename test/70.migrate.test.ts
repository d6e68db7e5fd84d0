// Migrating the original system's pickle (made by tools/make_seed_pickle.py the way the seed made
// its own: a src.ml.ensemble.ProductionEnsemble that does not exist here) into a model directory,
// scoring it the same as the pickled ensemble's own predict_proba, and the pickles it must refuse.
import { execFile, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findPython, migrate } from '../dist/cli/migrate.js';
import { ProductionEnsemble } from '../dist/index.js';
import { ERROR_CODES } from '../dist/error-codes.js';
import { expectClose, fixtures, readF64, readJson, root } from './helpers.js';

const work = mkdtempSync(join(tmpdir(), 'pe-migrate-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const pkl = join(fixtures, 'migrate', 'production_ensemble.pkl');
const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

// The migration unpickles with Python; `npm test` sets up .venv first (scripts/setup-python.mjs)
// and CI installs tools/requirements.txt. Only without any usable Python do these tests skip.
let python = '';
try {
  python = findPython();
} catch (e) {
  console.warn(`skipping the migrate tests: ${(e as Error).message}`);
}

const refusals = {
  'no-models': 'no LightGBM model (LGBMClassifier or lightgbm.Booster) found in the pickle',
  'two-forests': "2 random_forest models found in the pickle (pickle.models['random_forest'], pickle.backup_forest)",
  multiclass: "the random forest at pickle.models['random_forest'] has 3 classes; the ensemble needs 2",
  'feature-mismatch': 'the models disagree on the feature count: lightgbm 12, xgboost 11, random_forest 12',
  'names-mismatch': 'feature counts disagree: the models take 12 features but pickle.feature_names lists 11 names',
} as const;

describe.skipIf(python === '')('with Python', () => {
  beforeAll(async () => {
    // Each variant is a small ensemble trained by the real libraries; two at a time on 2 cores.
    const names = [...Object.keys(refusals), 'wrapped', 'unscaled-weights'];
    const make = (v: string) =>
      promisify(execFile)(python, [join(root, 'tools', 'make_seed_pickle.py'), join(work, `${v}.pkl`), '--variant', v]);
    for (let i = 0; i < names.length; i += 2) await Promise.all(names.slice(i, i + 2).map(make));
  }, 120_000);

  it('migrates the seed-style pickle and scores as the pickled ensemble did', async () => {
    const out = join(work, 'migrated');
    const r = await migrate(pkl, out, { createdAt: '2025-08-20T10:30:00Z' });
    expect(r.healthy).toBe(true);
    expect(r.standInClasses).toEqual(['src.ml.ensemble.ProductionEnsemble']);
    expect(r.weights).toEqual({ lightgbm: 0.4, xgboost: 0.4, random_forest: 0.2 });
    expect(r.models.lightgbm).toMatchObject({ path: "pickle.models['lightgbm']", class: 'lightgbm.sklearn.LGBMClassifier', trees: 30 });
    expect(r.models.random_forest.trees).toBe(10);
    expect(r.checkedRows).toBe(64);
    expect(r.maxDifference).toBeLessThanOrEqual(1e-6);

    const ref = readJson<{ ensemble: number[]; feature_names: string[] }>(join(fixtures, 'migrate', 'reference.json'));
    const refF64 = readF64(join(fixtures, 'migrate', 'reference.f64'));
    expect(Array.from(refF64)).toEqual(ref.ensemble);
    const model = await ProductionEnsemble.load(out);
    try {
      expect(model.featureNames).toEqual(ref.feature_names);
      const x = readF64(join(fixtures, 'migrate', 'inputs.f64'));
      expectClose(model.predictProba(x), refF64, 'migrated ensemble vs the pickle');
      const info = model.getModelInfo();
      expect(info.createdAt).toBe('2025-08-20T10:30:00Z');
      expect(info.threshold).toBe(0.5);
      expect(info.trainingVersions).toMatchObject({ lightgbm: expect.any(String), 'pickle.scikit-learn': expect.any(String) });
    } finally {
      model.close();
    }

    const meta = readJson<Record<string, any>>(join(out, 'production_model_metadata.json'));
    expect(meta.migrated_from).toMatchObject({ file: 'production_ensemble.pkl', sha256: sha256(pkl), feature_names_from: 'pickle.feature_names' });
    for (const [role, f] of Object.entries(meta.model_files as Record<string, { file: string; sha256: string }>)) {
      expect(f.sha256, role).toBe(sha256(join(out, f.file)));
    }
    const legacy = readJson<Record<string, unknown>>(join(out, 'model_metadata.json'));
    expect(legacy).toEqual({
      model_type: 'ProductionEnsemble',
      n_features: 12,
      feature_names: ref.feature_names,
      individual_models: ['lightgbm', 'xgboost', 'random_forest'],
      model_weights: { lightgbm: 0.4, xgboost: 0.4, random_forest: 0.2 },
      created_at: '2025-08-20T10:30:00Z',
    });
    // The LightGBM file names its features too (the models were trained on a bare matrix).
    expect(readFileSync(join(out, 'lightgbm.txt'), 'utf8')).toContain(`\nfeature_names=${ref.feature_names.join(' ')}\n`);
  });

  it.each(Object.entries(refusals))('refuses the %s pickle, naming what is wrong', async (variant, message) => {
    const out = join(work, `out-${variant}`);
    await expect(migrate(join(work, `${variant}.pkl`), out)).rejects.toMatchObject({ code: 'ERR_MIGRATE', message: expect.stringContaining(message) });
    expect(existsSync(out)).toBe(false);
  });

  it('refuses a model inside another estimator: its class is outside the allow-list', async () => {
    const out = join(work, 'out-wrapped');
    await expect(migrate(join(work, 'wrapped.pkl'), out)).rejects.toMatchObject({
      code: 'ERR_UNSAFE_PICKLE',
      message: expect.stringContaining('refused to unpickle sklearn.calibration.CalibratedClassifierCV'),
    });
    expect(existsSync(out)).toBe(false);
  });

  it('a missing file, a file that is not a pickle and a non-empty output directory are clear errors', async () => {
    await expect(migrate(join(work, 'nope.pkl'), join(work, 'y'))).rejects.toThrow(/nope\.pkl does not exist/);
    const junk = join(work, 'junk.pkl');
    writeFileSync(junk, 'not a pickle');
    await expect(migrate(junk, join(work, 'z'))).rejects.toThrow(/junk\.pkl could not be unpickled \(UnpicklingError/);

    const busy = join(work, 'busy');
    mkdirSync(busy);
    writeFileSync(join(busy, 'production_model_metadata.json'), '{}');
    await expect(migrate(pkl, busy)).rejects.toThrow(`${busy} exists and is not empty (use --force to replace it)`);
    expect(readdirSync(busy)).toEqual(['production_model_metadata.json']);
    const r = await migrate(pkl, busy, { force: true, checkRows: 8 });
    expect(r.checkedRows).toBe(8);
    expect(readdirSync(busy).sort()).toEqual(['lightgbm.txt', 'model_metadata.json', 'production_model_metadata.json', 'random_forest.forest', 'xgboost.json']);

    // --force replaces a model directory, never a directory of other files.
    const home = join(work, 'home');
    mkdirSync(home);
    writeFileSync(join(home, 'notes.txt'), 'keep me');
    await expect(migrate(pkl, home, { force: true })).rejects.toThrow(/holds files that are not part of a model directory \(notes\.txt\)/);
    expect(readFileSync(join(home, 'notes.txt'), 'utf8')).toBe('keep me');
    await expect(migrate(pkl, join(work, 'w'), { createdAt: 'yesterday' })).rejects.toThrow(/--created-at must look like/);
    // No temporary directory is left behind by any of the above.
    expect(readdirSync(work).filter((f) => f.startsWith('.'))).toEqual([]);
  });

  it('a directory that does not score like the pickled models is discarded, not left behind', async () => {
    // A Python whose tool output claims other probabilities for the probe rows than the directory gives.
    const liar = join(work, 'liar-python');
    writeFileSync(
      liar,
      `#!/bin/sh\nif [ "$1" = "-c" ]; then exec "${python}" "$@"; fi\n"${python}" "$@" | sed 's/"ensemble": \\[0\\./"ensemble": [0.9/'\n`,
      { mode: 0o755 },
    );
    const out = join(work, 'lied');
    await expect(migrate(pkl, out, { python: liar })).rejects.toThrow(
      /was not installed \(nothing was written\): ensemble scores probe row 0 as 0\.\d+, the pickled model as 0\.9/,
    );
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(work).filter((f) => f.startsWith('.'))).toEqual([]);
  });

  it('--force onto a model directory leaves it byte for byte when the new directory fails its check', async () => {
    const keep = join(work, 'keep');
    await migrate(pkl, keep, { checkRows: 8 });
    const files = readdirSync(keep).sort();
    const before = files.map((f) => sha256(join(keep, f)));
    // Weights 2 / 2 / 1: the tool migrates them as they are, the directory's P(up) exceeds 1.
    await expect(migrate(join(work, 'unscaled-weights.pkl'), keep, { force: true })).rejects.toMatchObject({
      code: 'ERR_MIGRATE',
      message: expect.stringContaining(`was not installed (${keep} is as it was)`),
    });
    expect(readdirSync(keep).sort()).toEqual(files);
    expect(files.map((f) => sha256(join(keep, f)))).toEqual(before);
    expect(readdirSync(work).filter((f) => f.startsWith('.'))).toEqual([]);
    // The same directory is replaced when the new one passes.
    const r = await migrate(pkl, keep, { force: true, checkRows: 8, createdAt: '2030-01-01T00:00:00Z' });
    expect(r.directory).toBe(keep);
    expect(readJson<{ created_at: string }>(join(keep, 'production_model_metadata.json')).created_at).toBe('2030-01-01T00:00:00Z');
    expect(readdirSync(work).filter((f) => f.startsWith('.'))).toEqual([]);
  });

  it('the CLI command migrates, and refuses with the exit code of ERR_MIGRATE', () => {
    const out = join(work, 'cli');
    const cli = join(root, 'dist', 'cli', 'main.js');
    const ok = spawnSync(process.execPath, [cli, 'migrate', pkl, out], { encoding: 'utf8' });
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toContain(`-> ${out}`);
    const again = spawnSync(process.execPath, [cli, 'migrate', pkl, out], { encoding: 'utf8' });
    expect(again.status).toBe(ERROR_CODES.ERR_MIGRATE.exitCode);
    expect(again.stderr).toContain('MigrateError [ERR_MIGRATE]');
    expect(again.stderr).toContain('exists and is not empty (use --force to replace it)');
  });

  it('the Python tool itself: exit code 2 and one line on stderr; --help says how the pickle is read', () => {
    const tool = join(root, 'tools', 'migrate_pickle.py');
    const r = spawnSync(python, [tool, join(work, 'no-models.pkl'), join(work, 'q')], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([`migrate: ${refusals['no-models']}`]);
    const help = spawnSync(python, [tool, '--help'], { encoding: 'utf8' });
    expect(help.stdout).toContain('is refused before it is called, exit code 3');
  });
});

it('no usable Python is an error that says how to install one', () => {
  if (python !== '') expect(findPython('/no/such/python')).toBeTruthy(); // falls back to the others
  const bare = join(work, 'bare-python');
  writeFileSync(bare, '#!/bin/sh\nexit 1\n', { mode: 0o755 });
  expect(() => findPython(undefined, ['/no/python', bare])).toThrow(/Tried:\n {2}- \/no\/python: not found\n {2}- .*bare-python/);
  expect(() => findPython(undefined, [bare])).toThrow('pip install -r tools/requirements.txt');
});
