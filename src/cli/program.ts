/**
 * The `production-ensemble` commands, parsed by commander: score candle or feature files, explain
 * and drift over them, compare versions, info, health, validate, the model store (versions,
 * publish, promote, rollback), migrate. Run by main.ts once the packages they need are known to be
 * there.
 * @internal
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { MAX_THREADS, ProductionEnsemble, defaultModelDirectory } from '../index.js';
import { migrate } from './migrate.js';
import { validateDirectory } from './validate.js';
import type { ScoreOptions } from './score.js';

function threadsOption(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > MAX_THREADS) throw new InvalidArgumentError(`threads must be an integer in [0, ${MAX_THREADS}]`);
  return n;
}

/** Parses `argv` and runs the command; a usage error sets exit code 2 (docs/cli.md#exit-codes). */
export async function runProgram(argv: string[], version: string): Promise<void> {
  try {
    await program(version).parseAsync(argv);
  } catch (e) {
    if (!(e instanceof CommanderError)) throw e;
    // commander has printed the message (or the help); only the exit status is left to set.
    process.exitCode = e.exitCode === 0 ? 0 : 2;
  }
}

function program(version: string): Command {
  const program = new Command()
    .name('production-ensemble')
    .description('Score OHLCV candles or 12-feature rows with the production LightGBM + XGBoost + RandomForest ensemble.')
    .version(version)
    .showHelpAfterError()
    .exitOverride(); // before the commands: they inherit it

  program
    .command('score')
    .description(
      'score OHLCV candles (timestamp, open, high, low, close, volume; a symbol column for many instruments) from a CSV or ' +
        'Parquet file, a directory (hive-partitioned datasets included) or a glob: the 12 features are computed per symbol, ' +
        'then scored; with --from-features, ready feature rows (the 12 named columns)',
    )
    .argument('<input>', "input file, directory or glob (.csv or .parquet; quote a glob: 'data/*.csv')")
    .option('-o, --output <path>', "write each row's symbol, timestamp, each model's P(up), the ensemble P(up) and the label (.csv or .parquet; a directory with --partition-by)")
    .option('-m, --models <dir>', 'model directory', defaultModelDirectory)
    .option('-t, --threads <n>', 'scoring threads (0 = all cores; at most 1024, capped at the cores); reading uses at most 2 of them', threadsOption, 0)
    .option('--from-features', 'the input holds ready feature rows instead of candles')
    .addOption(new Option('--warmup <policy>', 'rows without enough history for every feature').choices(['skip', 'nan']).default('skip'))
    .option('--skip-invalid', 'skip malformed lines (counted and listed in the summary) instead of stopping')
    .option('--symbol-column <name>', "the column naming each row's instrument: features are computed per symbol (default: symbol, when present)")
    .option('--no-symbol-column', 'read the input as one series even if it has a symbol column')
    .addOption(new Option('--partition-by <column>', 'write a hive-partitioned Parquet directory, one partition per symbol').choices(['symbol']))
    .option('--resume', 'with --partition-by: keep the complete partitions of an interrupted run and score only the rest')
    .addOption(new Option('--time-unit <unit>', 'unit of a numeric timestamp column (auto: by magnitude)').choices(['auto', 's', 'ms', 'us', 'ns']).default('auto'))
    .addOption(new Option('--format <format>', 'input format (default: from the extension)').choices(['csv', 'parquet']))
    .addOption(new Option('--output-format <format>', 'output format (default: from the extension)').choices(['csv', 'parquet']))
    .option('--no-progress', 'no progress bar (it is shown only on a terminal anyway)')
    .option('--json', 'print the summary as JSON')
    .action(async (input: string, opts: ScoreOptions & { progress: boolean; json?: boolean }) => {
      // Imported here: DuckDB loads only for the command that reads tables.
      const { formatSummary, scoreFile } = await import('./score.js');
      const summary = await scoreFile(input, { ...opts, progress: opts.progress && process.stderr.isTTY === true });
      process.stdout.write(opts.json ? `${JSON.stringify(summary, null, 2)}\n` : formatSummary(summary));
    });

  program
    .command('explain')
    .description(
      "why the ensemble says what it says: each row's exact contribution of every feature to P(up) (TreeSHAP; docs/explain.md), " +
        'from a CSV or Parquet file of candles (or, with --from-features, ready feature rows)',
    )
    .argument('<input>', 'input file (.csv or .parquet)')
    .option('-o, --output <file>', 'write timestamp, p_up, expected_value and contribution_<feature> per row (.csv or .parquet)')
    .option('-m, --models <dir>', 'model directory', defaultModelDirectory)
    .option('-t, --threads <n>', 'threads (0 = all cores; at most 1024, capped at the cores)', threadsOption, 0)
    .option('--from-features', 'the input holds ready feature rows instead of candles')
    .option('--last <n>', 'explain only the last n rows (explaining costs ~100x scoring)', (v: string) => Number(v))
    .option('--parts', "also write each model's contributions (<model>_p_up, <model>_expected_value, <model>_<feature>)")
    .option('--svg <file>', "write an SVG waterfall of one row's explanation (the last row, or --svg-at)")
    .option('--svg-at <timestamp>', 'the row the waterfall shows, by its timestamp')
    .option('--skip-invalid', 'skip malformed lines instead of stopping')
    .addOption(new Option('--format <format>', 'input format (default: from the extension)').choices(['csv', 'parquet']))
    .addOption(new Option('--output-format <format>', 'output format (default: from the extension)').choices(['csv', 'parquet']))
    .option('--json', 'print the summary as JSON')
    .action(async (input: string, opts: { output?: string; models: string; threads: number; fromFeatures?: boolean; last?: number; parts?: boolean; svg?: string; svgAt?: string; skipInvalid?: boolean; format?: string; outputFormat?: string; json?: boolean }) => {
      const { explainFile, formatExplainSummary } = await import('./explain.js');
      const summary = await explainFile(input, opts);
      process.stdout.write(opts.json ? `${JSON.stringify(summary, null, 2)}\n` : formatExplainSummary(summary));
    });

  program
    .command('drift')
    .description(
      "are the rows still like the training data? A history's features and model scores per time window, each column's PSI and KS " +
        "against the model directory's drift reference (docs/drift.md)",
    )
    .argument('<input>', 'history file (.csv or .parquet): candles, or with --from-features ready feature rows')
    .option('-w, --window <size>', 'window: 12h, 3d, 1w (from the first row) or 5000rows', '1w')
    .option('-o, --output <file>', 'write one row per window: window_start, rows, drifted_columns, psi_<column>, ks_<column> (.csv or .parquet)')
    .option('-m, --models <dir>', 'model directory', defaultModelDirectory)
    .option('-t, --threads <n>', 'threads (0 = all cores; at most 1024, capped at the cores)', threadsOption, 0)
    .option('--psi <threshold>', 'a column drifts at this PSI', (v: string) => Number(v), 0.25)
    .option('--ks <threshold>', '... or at this KS distance', (v: string) => Number(v), 0.2)
    .option('--from-features', 'the input holds ready feature rows instead of candles')
    .option('--skip-invalid', 'skip malformed lines instead of stopping')
    .addOption(new Option('--format <format>', 'input format (default: from the extension)').choices(['csv', 'parquet']))
    .addOption(new Option('--output-format <format>', 'output format (default: from the extension)').choices(['csv', 'parquet']))
    .option('--json', 'print the report as JSON')
    .action(async (input: string, opts: { window: string; output?: string; models: string; threads: number; psi: number; ks: number; fromFeatures?: boolean; skipInvalid?: boolean; format?: string; outputFormat?: string; json?: boolean }) => {
      const { driftFile, formatDriftSummary } = await import('./drift.js');
      const summary = await driftFile(input, { ...opts, psiThreshold: opts.psi, ksThreshold: opts.ks });
      process.stdout.write(opts.json ? `${JSON.stringify(summary, null, 2)}\n` : formatDriftSummary(summary));
    });

  program
    .command('info')
    .description('show the model directory, library versions, features and weights')
    .option('-m, --models <dir>', 'model directory', defaultModelDirectory)
    .option('--json', 'print JSON')
    .action(async (opts: { models: string; json?: boolean }) => {
      const model = await ProductionEnsemble.load(opts.models);
      const info = model.getModelInfo();
      model.close();
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(info, null, 2)}\n`);
        return;
      }
      const w = info.weights;
      process.stdout.write(
        [
          `${info.type} in ${info.directory} (${info.metadataFile})`,
          `  status: ${info.status ?? 'n/a'}, created ${info.createdAt ?? 'n/a'}, decision threshold ${info.threshold}`,
          `  weights: lightgbm ${w.lightgbm}, xgboost ${w.xgboost}, random_forest ${w.randomForest}`,
          `  LightGBM ${info.versions.lightgbm}: ${info.models.lightgbm.numTrees} trees (${info.libraries.lightgbm})`,
          `  XGBoost ${info.versions.xgboost}: ${info.models.xgboost.numTrees} trees (${info.libraries.xgboost})`,
          `  RandomForest: ${info.models.randomForest.numTrees} trees, ${info.models.randomForest.numNodes} nodes`,
          `  ${info.nFeatures} features: ${info.featureNames.join(', ')}`,
          '',
        ].join('\n'),
      );
    });

  program
    .command('health')
    .description('the health check: load, score a probe row; prints JSON, exit code 0 healthy, 1 unhealthy')
    .option('-m, --models <dir>', 'model directory', defaultModelDirectory)
    .action(async (opts: { models: string }) => {
      const report = await ProductionEnsemble.healthCheck(opts.models);
      const { info: _info, ...short } = report;
      process.stdout.write(`${JSON.stringify(short, null, 2)}\n`);
      process.exitCode = report.status === 'healthy' ? 0 : 1;
    });

  program
    .command('validate')
    .description('check a model directory (metadata schema, checksums, feature counts and names) and list every problem; exit 1 if any')
    .argument('[dir]', 'model directory', defaultModelDirectory)
    .option('--json', 'print JSON')
    .action(async (dir: string, opts: { json?: boolean }) => {
      const report = await validateDirectory(dir);
      if (opts.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      else if (report.ok) process.stdout.write(`${dir}: valid\n${report.checked.map((c) => `  ok: ${c}`).join('\n')}\n`);
      else process.stdout.write(`${dir}: ${report.problems.length} problem${report.problems.length > 1 ? 's' : ''}\n${report.problems.map((p) => `  - ${p}`).join('\n')}\n`);
      process.exitCode = report.ok ? 0 : 1;
    });

  program
    .command('compare')
    .description(
      'replay a CSV or Parquet history (candles, or feature rows with --from-features) through several model versions and compare them: ' +
        'mean P(up), agreement with the first (the champion), accuracy and log loss on the next-bar direction',
    )
    .argument('<input>', 'input file (.csv or .parquet)')
    .requiredOption('-m, --models <dir>', 'a version: a model directory, a store or a store version; name=dir names it (repeat; the first is the champion)', (v: string, all: string[]) => [...all, v], [] as string[])
    .option('-t, --threads <n>', 'threads (0 = all cores)', threadsOption, 0)
    .option('--from-features', 'the input holds ready feature rows instead of candles')
    .addOption(new Option('--format <format>', 'input format (default: from the extension)').choices(['csv', 'parquet']))
    .option('--skip-invalid', 'skip malformed lines instead of stopping')
    .option('--json', 'print JSON (every statistic of every version)')
    .action(async (input: string, opts: { models: string[]; threads: number; fromFeatures?: boolean; format?: string; skipInvalid?: boolean; json?: boolean }) => {
      const { compareFile, formatComparison } = await import('./compare.js');
      const summary = await compareFile(input, opts);
      process.stdout.write(opts.json ? `${JSON.stringify(summary, null, 2)}\n` : formatComparison(summary));
    });

  program
    .command('versions')
    .description('list the versions of a model store (docs/serving.md): current, previous, created_at, and whether each matches its checksums')
    .option('-s, --store <dir>', 'the model store (default: PRODUCTION_ENSEMBLE_STORE)')
    .option('--json', 'print JSON')
    .action(async (opts: { store?: string; json?: boolean }) => {
      const { formatVersions, storeFrom } = await import('./store.js');
      const store = storeFrom(opts.store);
      const versions = await store.versions();
      process.stdout.write(opts.json ? `${JSON.stringify({ store: store.path, current: store.current() ?? null, previous: store.previous() ?? null, versions }, null, 2)}\n` : formatVersions(store, versions));
    });

  program
    .command('publish')
    .description('copy a model directory into a store as a new version: written under a temporary name, checked against its checksums, renamed into place')
    .argument('<dir>', 'the model directory to publish')
    .argument('<version>', 'its version name (letters, digits, ".", "_", "-")')
    .option('-s, --store <dir>', 'the model store (default: PRODUCTION_ENSEMBLE_STORE; created if missing)')
    .option('--promote', 'make it current once published')
    .action(async (dir: string, version: string, opts: { store?: string; promote?: boolean }) => {
      const { storeFrom } = await import('./store.js');
      const store = storeFrom(opts.store);
      const v = await store.publish(dir, version, { promote: opts.promote === true });
      process.stdout.write(`published ${dir} as ${store.path}/${v.name}${v.current ? ' (current)' : ''}\n`);
    });

  program
    .command('promote')
    .description(
      'make a version of the store current (atomically; the old current becomes previous). The version is loaded and checked first, ' +
        'and refused if its features differ from the current one (serving processes would refuse to reload it) unless --force',
    )
    .argument('<version>', 'the version to serve')
    .option('-s, --store <dir>', 'the model store (default: PRODUCTION_ENSEMBLE_STORE)')
    .option('--force', 'promote a version whose feature names differ from the current one')
    .action(async (version: string, opts: { store?: string; force?: boolean }) => {
      const { storeFrom } = await import('./store.js');
      const store = storeFrom(opts.store);
      const r = await store.promote(version, { force: opts.force === true });
      process.stdout.write(`${store.path}: current ${r.current}${r.previous !== undefined ? ` (previous ${r.previous})` : ''}\n`);
    });

  program
    .command('rollback')
    .description('make the previous version of the store current again (two rollbacks undo each other)')
    .option('-s, --store <dir>', 'the model store (default: PRODUCTION_ENSEMBLE_STORE)')
    .action(async (opts: { store?: string }) => {
      const { storeFrom } = await import('./store.js');
      const store = storeFrom(opts.store);
      const r = await store.rollback();
      process.stdout.write(`${store.path}: rolled back to ${r.current} (previous ${r.previous})\n`);
    });

  program
    .command('migrate')
    .description(
      "turn the original system's pickled ProductionEnsemble (production_ensemble.pkl) into a model directory of this package. " +
        'The pickle is read through an allow-list: anything else it names is refused, not run (needs Python with the libraries; see docs/migrate.md)',
    )
    .argument('<pickle>', 'the production_ensemble.pkl to migrate')
    .argument('<out-dir>', 'the model directory to write')
    .option('--force', 'replace a non-empty output directory')
    .option('--created-at <iso>', 'created_at for the metadata (default: now)')
    .option('--python <path>', 'the Python to unpickle with (default: PRODUCTION_ENSEMBLE_PYTHON, the package .venv, python3)')
    .option(
      '--stand-in <module.Class>',
      'read this class of the original system as inert data, like its ProductionEnsemble (repeatable)',
      (v: string, all: string[]) => [...all, v],
      [] as string[],
    )
    .option('--reference <rows.csv>', 'the training rows (feature columns or OHLCV candles): recorded as the drift reference (docs/drift.md)')
    .action(async (pickle: string, outDir: string, opts: { force?: boolean; createdAt?: string; python?: string; standIn: string[]; reference?: string }) => {
      const r = await migrate(pickle, outDir, { ...opts, standIns: opts.standIn });
      process.stdout.write(
        `migrated ${pickle} -> ${r.directory}\n  ${r.nFeatures} features: ${r.featureNames.join(', ')}\n` +
          `  weights: lightgbm ${r.weights.lightgbm}, xgboost ${r.weights.xgboost}, random_forest ${r.weights.random_forest}\n` +
          `  the new directory loads, passes the health check, and scores ${r.checkedRows} probe rows as the pickled models do ` +
          `(max |difference| ${r.maxDifference})\n` +
          r.notes.map((n) => `  note: ${n}\n`).join(''),
      );
    });

  return program;
}
