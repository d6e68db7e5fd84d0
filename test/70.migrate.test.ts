// Migrating the original system's pickle (made by tools/make_seed_pickle.py the way the seed made
// its own: a src.ml.ensemble.ProductionEnsemble that does not exist here) into a model directory,
// and scoring it the same as the pickled ensemble's own predict_proba.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ProductionEnsemble } from '../dist/index.js';
import { findPython, migrate } from '../dist/cli/migrate.js';
import { expectClose, fixtures, readF64, readJson, root } from './helpers.js';

const work = mkdtempSync(join(tmpdir(), 'pe-migrate-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const pkl = join(fixtures, 'migrate', 'production_ensemble.pkl');
// The migration unpickles with Python; `npm test` sets up .venv first (scripts/setup-python.mjs).
// Without any usable Python (offline, no pip), these tests cannot run: say so rather than fail.
let python = '';
try {
  python = findPython();
} catch (e) {
  console.warn(`skipping the migrate tests: ${(e as Error).message}`);
}

describe.skipIf(python === '')('with Python', () => {
it('migrates the seed-style pickle and scores exactly as the pickled ensemble', async () => {
  const out = join(work, 'migrated');
  const r = await migrate(pkl, out, { createdAt: '2025-08-20T10:30:00Z' });
  expect(r.healthy).toBe(true);
  expect(r.standInClasses).toEqual(['src.ml.ensemble.ProductionEnsemble']);
  expect(r.weights).toEqual({ lightgbm: 0.4, xgboost: 0.4, random_forest: 0.2 });
  const ref = readJson<{ ensemble: number[]; feature_names: string[] }>(join(fixtures, 'migrate', 'reference.json'));
  const model = await ProductionEnsemble.load(out);
  try {
    expect(model.featureNames).toEqual(ref.feature_names);
    expectClose(model.predictProba(readF64(join(fixtures, 'migrate', 'inputs.f64'))), ref.ensemble, 'migrated ensemble');
    const info = model.getModelInfo();
    expect(info.createdAt).toBe('2025-08-20T10:30:00Z');
  } finally {
    model.close();
  }
});

it('the CLI command migrates too, and refuses a non-empty output directory', () => {
  const out = join(work, 'cli');
  const cli = join(root, 'dist', 'cli', 'main.js');
  const ok = spawnSync(process.execPath, [cli, 'migrate', pkl, out], { encoding: 'utf8' });
  expect(ok.status, ok.stderr).toBe(0);
  expect(ok.stdout).toContain('passes the health check');
  const again = spawnSync(process.execPath, [cli, 'migrate', pkl, out], { encoding: 'utf8' });
  expect(again.status).toBe(2);
  expect(again.stderr).toContain('exists and is not empty (use --force to replace it)');
  expect(spawnSync(process.execPath, [cli, 'migrate', pkl, out, '--force'], { encoding: 'utf8' }).status).toBe(0);
});

it('a pickle without models, and a missing file, are clear errors', async () => {
  const empty = join(work, 'empty.pkl');
  const r = spawnSync(python, ['-c', `import pickle; pickle.dump({"weights": {"lightgbm": 0.4, "xgboost": 0.4, "random_forest": 0.2}}, open(${JSON.stringify(empty)}, "wb"))`]);
  expect(r.status).toBe(0);
  await expect(migrate(empty, join(work, 'x'))).rejects.toThrow('no lightgbm model found in the pickle');
  await expect(migrate(join(work, 'nope.pkl'), join(work, 'y'))).rejects.toThrow(/nope\.pkl does not exist/);
  const junk = join(work, 'junk.pkl');
  writeFileSync(junk, 'not a pickle');
  await expect(migrate(junk, join(work, 'z'))).rejects.toThrow(/could not be unpickled/);
  mkdirSync(join(work, 'z'), { recursive: true });
});
});

it('no usable Python is an error that says how to install one', () => {
  if (python !== '') expect(findPython('/no/such/python')).toBeTruthy(); // falls back to the others
  const bare = join(work, 'bare-python');
  writeFileSync(bare, '#!/bin/sh\nexit 1\n', { mode: 0o755 });
  expect(() => findPython(undefined, ['/no/python', bare])).toThrow(/Tried:\n  - \/no\/python: not found\n  - .*bare-python/);
  expect(() => findPython(undefined, [bare])).toThrow('pip install -r');
});
