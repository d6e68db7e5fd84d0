/**
 * `production-ensemble migrate`: turns the original system's pickled ProductionEnsemble into a
 * model directory of this package. Python does the unpickling (tools/migrate_pickle.py); this
 * finds a Python that has the libraries, runs it, then proves the result loads and scores.
 * @internal
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../binding.js';
import { EnsembleError } from '../errors.js';
import { ProductionEnsemble } from '../ensemble.js';

export interface MigrateOptions {
  force?: boolean;
  createdAt?: string;
  /** Python to run the tool with (default: PRODUCTION_ENSEMBLE_PYTHON, the package's .venv, python3). */
  python?: string;
}

export interface MigrateResult {
  directory: string;
  nFeatures: number;
  featureNames: string[];
  weights: Record<string, number>;
  standInClasses: string[];
  healthy: boolean;
}

const NEEDED = 'import lightgbm, xgboost, sklearn, numpy';

/**
 * The first Python that can import the libraries the migration needs: `explicit`, then
 * PRODUCTION_ENSEMBLE_PYTHON, the package's .venv, python3 (or exactly `only`, when given).
 */
export function findPython(explicit?: string, only?: readonly string[]): string {
  const candidates = (only ?? [explicit, process.env.PRODUCTION_ENSEMBLE_PYTHON, join(packageRoot, '.venv', 'bin', 'python'), 'python3']).filter(
    (p): p is string => typeof p === 'string' && p.length > 0,
  );
  const tried: string[] = [];
  for (const py of candidates) {
    if (py.includes('/') && !existsSync(py)) {
      tried.push(`${py}: not found`);
      continue;
    }
    const r = spawnSync(py, ['-c', NEEDED], { encoding: 'utf8' });
    if (r.status === 0) return py;
    tried.push(`${py}: ${r.error ? r.error.message : (r.stderr.trim().split('\n').pop() ?? 'failed')}`);
  }
  throw new EnsembleError(
    `migrate needs Python with lightgbm, xgboost and scikit-learn to unpickle the models. Tried:\n  - ${tried.join('\n  - ')}\n` +
      `Install them: python3 -m venv ${join(packageRoot, '.venv')} && ${join(packageRoot, '.venv', 'bin', 'pip')} install -r ${join(packageRoot, 'tools', 'requirements.txt')}` +
      ' (or set PRODUCTION_ENSEMBLE_PYTHON to a Python that has them)',
    'ERR_PYTHON_NOT_FOUND',
  );
}

/**
 * Migrates `pickle` into `outDir` and loads the result to check it.
 * @example
 * await migrate('old/production_ensemble.pkl', 'models/migrated');
 */
export async function migrate(pickle: string, outDir: string, options: MigrateOptions = {}): Promise<MigrateResult> {
  const python = findPython(options.python);
  const args = [join(packageRoot, 'tools', 'migrate_pickle.py'), pickle, outDir];
  if (options.force) args.push('--force');
  if (options.createdAt) args.push('--created-at', options.createdAt);
  const r = spawnSync(python, args, { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) {
    const why = r.stderr.trim().split('\n').pop() ?? `exit code ${r.status}`;
    throw new EnsembleError(why.replace(/^migrate: /, ''), 'ERR_MIGRATE');
  }
  const summary = JSON.parse(r.stdout) as { directory: string; n_features: number; feature_names: string[]; weights: Record<string, number>; stand_in_classes: string[] };
  const health = await ProductionEnsemble.healthCheck(outDir);
  if (health.status !== 'healthy') throw new EnsembleError(`the migrated directory ${outDir} does not load: ${health.error}`, 'ERR_MIGRATE');
  return {
    directory: summary.directory,
    nFeatures: summary.n_features,
    featureNames: summary.feature_names,
    weights: summary.weights,
    standInClasses: summary.stand_in_classes,
    healthy: true,
  };
}
