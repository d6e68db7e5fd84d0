// The production-ensemble command as a user runs it: score (summary and output file), info,
// health (exit codes), and clear errors for bad input.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { ProductionEnsemble } from '../dist/index.js';
import { productionDir, root } from './helpers.js';

const cli = join(root, 'dist', 'cli', 'main.js');
const sample = join(root, 'data', 'sample_features.csv');
const work = mkdtempSync(join(tmpdir(), 'pe-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

it('score prints a summary and writes one output row per input row, equal to the API', async () => {
  const out = join(work, 'scores.csv');
  const r = run('score', sample, '-o', out, '--threads', '2');
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  const inputRows = readFileSync(sample, 'utf8').trim().split('\n').length - 1;
  expect(r.stdout).toContain(`scored ${inputRows} rows`);
  expect(r.stdout).toMatch(/labels at threshold 0\.5: up \d+ \([\d.]+%\), down \d+/);
  const lines = readFileSync(out, 'utf8').trim().split('\n');
  expect(lines[0]).toBe('timestamp,lightgbm,xgboost,random_forest,ensemble,label');
  expect(lines.length - 1).toBe(inputRows);
  const header = readFileSync(sample, 'utf8').split('\n', 1)[0]?.split(',') ?? [];
  const first = readFileSync(sample, 'utf8').split('\n')[1]?.split(',') ?? [];
  const model = await ProductionEnsemble.load(productionDir);
  try {
    const rec = Object.fromEntries(model.featureNames.map((n) => [n, Number(first[header.indexOf(n)])]));
    const cols = lines[1]?.split(',') ?? [];
    expect(cols[0]).toBe(first[header.indexOf('timestamp')]);
    expect(Number(cols[4])).toBe(model.predictOne(rec));
  } finally {
    model.close();
  }
});

it('score names a missing column and leaves no output file behind', () => {
  const bad = join(work, 'bad.csv');
  const text = readFileSync(sample, 'utf8').split('\n').slice(0, 20);
  text[0] = (text[0] as string).replace('rsi_14', 'rsi_15');
  writeFileSync(bad, text.join('\n'));
  const out = join(work, 'never.csv');
  const r = run('score', bad, '-o', out);
  expect(r.status).not.toBe(0);
  expect(r.stderr).toContain('missing column rsi_14');
  expect(existsSync(out)).toBe(false);
});

it('score names the line of a non-numeric cell', () => {
  const bad = join(work, 'text.csv');
  const lines = readFileSync(sample, 'utf8').split('\n').slice(0, 10);
  const header = (lines[0] as string).split(',');
  const cells = (lines[5] as string).split(',');
  cells[header.indexOf('macd')] = 'oops';
  lines[5] = cells.join(',');
  writeFileSync(bad, lines.join('\n'));
  const r = run('score', bad);
  expect(r.status).not.toBe(0);
  expect(r.stderr).toContain("line 6, column macd: 'oops' is not a number");
});

it('info shows versions, features and weights', () => {
  const r = run('info');
  expect(r.status).toBe(0);
  expect(r.stdout).toContain('LightGBM 4.7.0');
  expect(r.stdout).toContain('XGBoost 3.2.0');
  expect(r.stdout).toContain('weights: lightgbm 0.4, xgboost 0.4, random_forest 0.2');
  const j = JSON.parse(run('info', '--json').stdout);
  expect(j.type).toBe('ProductionEnsemble');
  expect(j.nFeatures).toBe(12);
});

it('health: JSON, exit 0 when healthy and 1 when not', () => {
  const ok = run('health');
  expect(ok.status).toBe(0);
  expect(JSON.parse(ok.stdout).status).toBe('healthy');
  const broken = join(work, 'broken');
  cpSync(productionDir, broken, { recursive: true });
  unlinkSync(join(broken, 'random_forest.forest'));
  const bad = run('health', '--models', broken);
  expect(bad.status).toBe(1);
  const report = JSON.parse(bad.stdout);
  expect(report.status).toBe('unhealthy');
  expect(report.error).toContain('random_forest.forest');
});

it('--help describes each command', () => {
  expect(run('--help').stdout).toMatch(/score[\s\S]*info[\s\S]*health/);
  expect(run('score', '--help').stdout).toContain('--output');
});
