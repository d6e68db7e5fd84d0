// The explanation and drift benchmarks complete and report every model (docs/explain.md,
// docs/drift.md): a few rows each, numbers not checked (this machine is shared and noisy). The
// Python side of the explanation benchmark (shap) runs when PRODUCTION_ENSEMBLE_EXPLAIN_PYTHON
// names a Python with tools/requirements-explain.txt; otherwise it is skipped, saying so.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { root } from './helpers.js';

const work = mkdtempSync(join(tmpdir(), 'bench-explain-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const python = process.env.PRODUCTION_ENSEMBLE_EXPLAIN_PYTHON ?? '';
if (!python) console.warn('skipping the shap peer: PRODUCTION_ENSEMBLE_EXPLAIN_PYTHON is not set');

const bench = (script: string, args: string[]) =>
  spawnSync(process.execPath, [join(root, 'bench', 'js', script), ...args], { cwd: root, encoding: 'utf8' });

it('explain.bench.mjs: each model and the ensemble, per row, into the results file', () => {
  const out = join(work, 'explain.json');
  const r = bench('explain.bench.mjs', ['--rows', '3', '--out', out, '--python', python || join(work, 'no-python')]);
  expect(r.status, r.stderr).toBe(0);
  for (const row of ['lightgbm', 'xgboost', 'random_forest', 'three models', 'ensemble']) expect(r.stdout).toMatch(new RegExp(`^${row} +\\| +[0-9.]+ \\|`, 'm'));
  const result = JSON.parse(readFileSync(out, 'utf8')) as { rows: number; seconds: Record<string, number>; python: Record<string, number> | null };
  expect(result.rows).toBe(3);
  expect(Object.keys(result.seconds)).toEqual(['lightgbm', 'xgboost', 'random_forest', 'ensemble']);
  for (const s of Object.values(result.seconds)) expect(s).toBeGreaterThan(0);
  if (python) for (const k of ['lightgbm', 'xgboost', 'random_forest']) expect(result.python?.[k]).toBeGreaterThan(0);
  else expect(result.python).toBeNull();
}, 120_000);

it('drift.bench.mjs: plain and monitored scoring, and the monitor\'s own work, for both calls', () => {
  expect(existsSync(join(root, 'data', 'sample_features.csv'))).toBe(true);
  const r = bench('drift.bench.mjs', ['--rows', '3000', '--rounds', '1']);
  expect(r.status, r.stderr).toBe(0);
  const result = JSON.parse(r.stdout.slice(r.stdout.indexOf('{'))) as Record<string, Record<string, number>>;
  expect(Object.keys(result)).toEqual(['predictProba', 'predictProbaAsync']);
  for (const v of Object.values(result)) {
    expect(Object.keys(v)).toEqual(['plainMs', 'monitoredMs', 'overheadPercent', 'monitorOwnMs']);
    expect(v.plainMs).toBeGreaterThan(0);
    expect(v.monitorOwnMs).toBeGreaterThan(0);
  }
}, 120_000);
