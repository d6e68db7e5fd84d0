/**
 * `production-ensemble migrate`: turns the original system's pickled ProductionEnsemble into a
 * model directory of this package. Python does the unpickling (tools/migrate_pickle.py, through an
 * allow-list); this finds a Python that has the libraries, runs it, loads the new directory beside
 * `outDir`, checks that it scores probe rows as the pickled models do, and only then puts it in place.
 * @internal
 */
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { packageRoot } from '../binding.js';
import { ProductionEnsemble } from '../ensemble.js';
import { MigrateError, PythonNotFoundError, UnsafePickleError } from '../errors.js';

export interface MigrateOptions {
  /** Replace an existing model directory at `outDir`. */
  force?: boolean;
  /** `created_at` for the metadata, `YYYY-MM-DDTHH:MM:SSZ` (default: now, UTC). */
  createdAt?: string;
  /** Python to run the tool with (default: PRODUCTION_ENSEMBLE_PYTHON, the package's .venv, python3). */
  python?: string;
  /** Probe rows scored by the pickled models and by the new directory, compared to 1e-6 (default 64). */
  checkRows?: number;
  /**
   * Classes of the original system (`module.Class`) to read as inert data, like its
   * ProductionEnsemble; any other class outside the allow-list is refused (`ERR_UNSAFE_PICKLE`).
   */
  standIns?: readonly string[];
  /** The training rows (CSV of feature columns or OHLCV candles), recorded as the drift reference. */
  reference?: string;
}

export interface MigrateResult {
  /** The new model directory (absolute). */
  directory: string;
  nFeatures: number;
  featureNames: string[];
  weights: { lightgbm: number; xgboost: number; random_forest: number };
  threshold: number;
  /** Where each model was found in the pickle, its class and tree count. */
  models: Record<'lightgbm' | 'xgboost' | 'random_forest', { path: string; class: string; trees: number; note?: string }>;
  /** Classes of the pickle this Python could not import (replaced by stand-ins). */
  standInClasses: string[];
  /** Warnings from unpickling (e.g. scikit-learn version changes) and other remarks. */
  notes: string[];
  /** Probe rows compared, and the largest |difference| between the pickled models and the new directory. */
  checkedRows: number;
  maxDifference: number;
  /** The new directory loaded and passed the health check. */
  healthy: true;
}

const NEEDED = 'import lightgbm, xgboost, sklearn, numpy';
const INSTALL = 'pip install -r tools/requirements.txt';
const TOLERANCE = 1e-6;

/**
 * The first Python that can import the libraries the migration needs: `explicit`, then
 * PRODUCTION_ENSEMBLE_PYTHON, the package's .venv, python3 (or exactly `only`, when given).
 * @example
 * const python = findPython(); // '/path/to/production-ensemble/.venv/bin/python'
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
  throw new PythonNotFoundError(
    `migrate needs a Python with lightgbm, xgboost and scikit-learn to unpickle the models. Tried:\n  - ${tried.join('\n  - ')}\n` +
      `Install them: cd ${packageRoot} && python3 -m venv .venv && .venv/bin/${INSTALL}` +
      ' (or set PRODUCTION_ENSEMBLE_PYTHON to a Python that has them)',
  );
}

interface ToolSummary {
  directory: string;
  /** Where the tool wrote the new directory (--staged): beside `directory`, not yet in place. */
  staged?: string;
  n_features: number;
  feature_names: string[];
  weights: MigrateResult['weights'];
  decision_threshold: number;
  models: MigrateResult['models'];
  stand_in_classes: string[];
  notes: string[];
  check?: { rows: number[][]; lightgbm: number[]; xgboost: number[]; random_forest: number[]; ensemble: number[] };
}

function runTool(python: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(python, args, { encoding: 'utf8', maxBuffer: 1 << 26 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      done({ code, stdout, stderr: stderr || (err && code !== 2 ? err.message : '') });
    });
  });
}

/**
 * Migrates the pickled ProductionEnsemble at `pickle` into the model directory `outDir`, then
 * loads the directory with {@link ProductionEnsemble.load} and checks that it scores probe rows
 * as the pickled models do (to 1e-6) and passes the health check. The directory is written beside
 * `outDir` and renamed into place only once it passes, so an existing `outDir` replaced with
 * `force` is untouched by a migration that fails. Throws an `UnsafePickleError`
 * (`ERR_UNSAFE_PICKLE`) when the pickle names anything outside the allow-list (nothing it names is
 * called), a `MigrateError` (`ERR_MIGRATE`) naming what is missing or wrong (no models,
 * two of a kind, non-binary, feature counts, a non-empty `outDir` without `force`, a failed
 * check), or a `PythonNotFoundError` (`ERR_PYTHON_NOT_FOUND`) saying how to install the Python libraries.
 * @example
 * const r = await migrate('old/models/production/production_ensemble.pkl', 'models/migrated');
 * console.log(r.nFeatures, r.weights, r.maxDifference);
 */
export async function migrate(pickle: string, outDir: string, options: MigrateOptions = {}): Promise<MigrateResult> {
  const checkRows = options.checkRows ?? 64;
  if (!Number.isInteger(checkRows) || checkRows < 0) throw new RangeError(`checkRows must be an integer >= 0, got ${checkRows}`);
  const python = findPython(options.python);
  const args = [join(packageRoot, 'tools', 'migrate_pickle.py'), pickle, outDir, '--staged', '--check-rows', String(checkRows)];
  if (options.force) args.push('--force');
  if (options.createdAt !== undefined) args.push('--created-at', options.createdAt);
  for (const name of options.standIns ?? []) args.push(`--stand-in=${name}`);
  if (options.reference !== undefined) args.push('--reference', resolve(options.reference));
  const r = await runTool(python, args);
  if (r.code !== 0) {
    const lines = r.stderr.trim().split('\n');
    const why = ([...lines].reverse().find((l) => l.startsWith('migrate: ')) ?? lines.pop() ?? `exit code ${r.code}`).replace(/^migrate: /, '');
    const missing = /No module named/.test(r.stderr) ? ` (${INSTALL})` : '';
    // Exit code 3: the pickle named something outside the allow-list (tools/safe_unpickle.py).
    if (r.code === 3) throw new UnsafePickleError(`cannot migrate ${pickle}: ${why}`);
    throw new MigrateError(`cannot migrate ${pickle}: ${why}${missing}`);
  }
  const summary = JSON.parse(r.stdout) as ToolSummary;
  const dir = resolve(summary.directory);
  if (summary.staged === undefined) {
    throw new MigrateError(`cannot migrate ${pickle}: the tool did not stage the directory`);
  }
  const staged = resolve(summary.staged);
  const existed = existsSync(dir);
  let maxDifference = 0;
  try {
    const model = await ProductionEnsemble.load(staged);
    try {
      if (summary.check && summary.check.rows.length > 0) maxDifference = compare(model, summary.check);
      const health = await model.healthCheck();
      if (health.status !== 'healthy') throw new Error(`the health check failed: ${health.error}`);
    } finally {
      model.close();
    }
    install(staged, dir, options.force === true);
  } catch (e) {
    // A directory that does not load or score like the pickle is no use; outDir was never touched.
    rmSync(staged, { recursive: true, force: true });
    const left = existed ? `${dir} is as it was` : 'nothing was written';
    throw new MigrateError(`the directory migrated from ${pickle} was not installed (${left}): ${(e as Error).message}`);
  }
  return {
    directory: dir,
    nFeatures: summary.n_features,
    featureNames: summary.feature_names,
    weights: summary.weights,
    threshold: summary.decision_threshold,
    models: summary.models,
    standInClasses: summary.stand_in_classes,
    notes: summary.notes,
    checkedRows: summary.check?.rows.length ?? 0,
    maxDifference,
    healthy: true,
  };
}

/**
 * Renames the checked `staged` directory to `target`. An existing target (`force`: the tool
 * checked it holds only a model directory) is renamed aside first and deleted once the new one is
 * in place, and renamed back if that fails. Without `force` the target is absent or empty, and
 * rename refuses one that has filled up since.
 */
function install(staged: string, target: string, force: boolean): void {
  if (!force || !existsSync(target)) {
    renameSync(staged, target);
    return;
  }
  // rename(2) replaces an empty directory, so the aside name can be claimed first.
  const aside = mkdtempSync(join(dirname(target), `.${basename(target)}.old-`));
  renameSync(target, aside);
  try {
    renameSync(staged, target);
  } catch (e) {
    renameSync(aside, target);
    throw e;
  }
  rmSync(aside, { recursive: true, force: true });
}

/** The largest |difference| between the new directory's and the pickled models' P(up); throws above 1e-6. */
function compare(model: ProductionEnsemble, check: NonNullable<ToolSummary['check']>): number {
  const got = model.predictModels(check.rows);
  const pairs: [string, Float64Array, number[]][] = [
    ['lightgbm', got.lightgbm, check.lightgbm],
    ['xgboost', got.xgboost, check.xgboost],
    ['random_forest', got.randomForest, check.random_forest],
    ['ensemble', got.ensemble, check.ensemble],
  ];
  let max = 0;
  for (const [name, actual, expected] of pairs) {
    for (let i = 0; i < expected.length; i++) {
      const d = Math.abs((actual[i] as number) - (expected[i] as number));
      if (!(d <= TOLERANCE)) {
        throw new Error(`${name} scores probe row ${i} as ${actual[i]}, the pickled model as ${expected[i]} (|difference| ${d} > ${TOLERANCE})`);
      }
      max = Math.max(max, d);
    }
  }
  return max;
}
