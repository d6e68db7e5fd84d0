#!/usr/bin/env node
/** The `production-ensemble` command: score feature files, show model info, run the health check. */
import { Command, InvalidArgumentError } from 'commander';
import { ProductionEnsemble, defaultModelDirectory } from '../index.js';
import { scoreFile } from './score.js';

function threadsOption(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('threads must be a non-negative integer');
  return n;
}

const program = new Command()
  .name('production-ensemble')
  .description('Score 12-feature rows with the production LightGBM + XGBoost + RandomForest ensemble.')
  .showHelpAfterError();

program
  .command('score')
  .description('score a CSV of feature rows (a header with the model\'s feature names; other columns such as timestamp are carried over)')
  .argument('<input>', 'CSV file of feature rows')
  .option('-o, --output <file>', 'write timestamp, per-model and ensemble probabilities and the label as CSV')
  .option('-m, --models <dir>', 'model directory', defaultModelDirectory)
  .option('-t, --threads <n>', 'threads (0 = all cores)', threadsOption, 0)
  .option('--from-features', 'the input holds ready feature rows (the only input kind so far)', true)
  .action(async (input: string, opts: { output?: string; models: string; threads: number }) => {
    const summary = await scoreFile(input, opts);
    process.stdout.write(summary);
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
        `  weights: lightgbm ${w.lightgbm}, xgboost ${w.xgboost}, random_forest ${w.random_forest}`,
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

program.parseAsync().catch((e: unknown) => {
  const err = e as { name?: string; code?: string; message?: string };
  process.stderr.write(`production-ensemble: ${err.name ?? 'Error'}${err.code ? ` [${err.code}]` : ''}: ${err.message ?? String(e)}\n`);
  process.exitCode = 2;
});
