// The production-ensemble command as a user runs it: score (candles or features, CSV or Parquet,
// summary and output file), info, health, validate, and clear errors for bad input.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, expect, it } from 'vitest';
import { ProductionEnsemble } from '../dist/index.js';
import { productionDir, root } from './helpers.js';

const cli = join(root, 'dist', 'cli', 'main.js');
const features = join(root, 'data', 'sample_features.csv');
const history = join(root, 'data', 'sample_history.csv');
const work = mkdtempSync(join(tmpdir(), 'pe-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: 'utf8', timeout: 300_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const lines = (path: string) => readFileSync(path, 'utf8').trim().split('\n');

it('score --from-features: one output row per input row, equal to the API', async () => {
  const out = join(work, 'scores.csv');
  const r = run('score', features, '--from-features', '-o', out, '--threads', '2');
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  const inputRows = lines(features).length - 1;
  expect(r.stdout).toContain(`scored ${inputRows} of ${inputRows} rows`);
  expect(r.stdout).toMatch(/labels at threshold 0\.5: up \d+ \([\d.]+%\), down \d+/);
  const got = lines(out);
  expect(got[0]).toBe('timestamp,lightgbm,xgboost,random_forest,ensemble,label');
  expect(got.length - 1).toBe(inputRows);
  const header = lines(features)[0]?.split(',') ?? [];
  const first = lines(features)[1]?.split(',') ?? [];
  const model = await ProductionEnsemble.load(productionDir);
  try {
    const rec = Object.fromEntries(model.featureNames.map((n) => [n, Number(first[header.indexOf(n)])]));
    const cols = got[1]?.split(',') ?? [];
    expect(cols[0]).toBe(first[header.indexOf('timestamp')]);
    expect(Number(cols[4])).toBe(model.predictOne(rec));
  } finally {
    model.close();
  }
});

it('score on candles computes the features and matches scoring the feature file', () => {
  const fromCandles = join(work, 'candles.csv');
  const fromFeatures = join(work, 'features.csv');
  const r = run('score', history, '-o', fromCandles);
  expect(r.status, r.stderr).toBe(0);
  const candles = lines(history).length - 1;
  expect(r.stdout).toMatch(new RegExp(`scored \\d+ of ${candles} rows`));
  expect(r.stdout).toMatch(/skipped \d+ warm-up rows/);
  expect(run('score', features, '--from-features', '-o', fromFeatures).status).toBe(0);
  // sample_features.csv was computed from the full history; the package starts from the sample's
  // first candle, so EMAs differ early on (docs/features.md): compare the tail, where they agree.
  const a = lines(fromCandles).slice(-2000);
  const b = lines(fromFeatures).slice(-2000);
  for (let i = 0; i < a.length; i++) {
    const x = (a[i] as string).split(',');
    const y = (b[i] as string).split(',');
    expect(x[0]).toBe(y[0]);
    expect(Math.abs(Number(x[4]) - Number(y[4]))).toBeLessThan(1e-6);
  }
  const nan = run('score', history, '--warmup', 'nan', '--json');
  const s = JSON.parse(nan.stdout);
  expect(s.scoredRows).toBe(candles);
  expect(s.warmupRows).toBeGreaterThan(0);
});

it('score writes Parquet, read back with the same rows', async () => {
  const out = join(work, 'scores.parquet');
  const r = run('score', history, '-o', out);
  expect(r.status, r.stderr).toBe(0);
  const csv = join(work, 'same.csv');
  run('score', history, '-o', csv);
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  const rows = (await c.runAndReadAll(`SELECT * FROM read_parquet('${out}')`)).getRows();
  const want = lines(csv).slice(1);
  expect(rows.length).toBe(want.length);
  const last = want[want.length - 1]?.split(',') ?? [];
  // A real timestamp column (UTC instants), the same instant as the CSV's ISO text.
  expect((await c.runAndReadAll(`SELECT typeof(timestamp) FROM read_parquet('${out}') LIMIT 1`)).getRows()[0]?.[0]).toBe('TIMESTAMP WITH TIME ZONE');
  expect(Date.parse(String(rows[rows.length - 1]?.[0]).replace(' ', 'T').replace('+00', 'Z'))).toBe(Date.parse(last[0] as string));
  expect(rows[rows.length - 1]?.[4]).toBe(Number(last[4]));
  c.closeSync();
  expect(readdirSync(work).filter((f) => f.includes('.partial') || f.endsWith('.duckdb'))).toEqual([]);
});

it('a parquet input scores like the CSV', () => {
  const pq = join(work, 'features.parquet');
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', `
    import { DuckDBInstance } from '@duckdb/node-api';
    const db = await DuckDBInstance.create(':memory:'); const c = await db.connect();
    await c.run("COPY (SELECT * FROM read_csv('${features}')) TO '${pq}' (FORMAT parquet)");`], { cwd: root, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  const a = JSON.parse(run('score', pq, '--from-features', '--json').stdout);
  const b = JSON.parse(run('score', features, '--from-features', '--json').stdout);
  expect(a.scoredRows).toBe(b.scoredRows);
  expect(a.up).toBe(b.up);
});

it('a malformed line is an error naming the line; --skip-invalid counts it', () => {
  const bad = join(work, 'bad.csv');
  const text = lines(history).slice(0, 200);
  text[7] = (text[7] as string).replace(/,[^,]+,/, ',oops,');
  text[20] = (text[20] as string).split(',').slice(0, 3).join(',');
  writeFileSync(bad, `${text.join('\n')}\n`);
  const r = run('score', bad);
  expect(r.status).not.toBe(0);
  expect(r.stderr).toMatch(/bad\.csv: line 8: .*oops/);
  const out = join(work, 'skipped.csv');
  const s = run('score', bad, '--skip-invalid', '-o', out, '--json');
  expect(s.status, s.stderr).toBe(0);
  const summary = JSON.parse(s.stdout);
  expect(summary.invalidRows).toBe(2);
  expect(summary.invalidLines.map((l: { line: number }) => l.line)).toEqual([8, 21]);
  expect(summary.inputRows).toBe(197);
});

it('a missing column is named', () => {
  const bad = join(work, 'nocol.csv');
  writeFileSync(bad, lines(features).slice(0, 20).join('\n').replace('rsi_14', 'rsi_15'));
  const r = run('score', bad, '--from-features', '-o', join(work, 'never.csv'));
  expect(r.status).not.toBe(0);
  expect(r.stderr).toContain('missing column rsi_14');
  expect(existsSync(join(work, 'never.csv'))).toBe(false);
  const c = run('score', features);
  expect(c.stderr).toContain('missing columns open, high, low');
});

it('non-increasing candle timestamps are reported', () => {
  const bad = join(work, 'order.csv');
  const text = lines(history).slice(0, 300);
  [text[100], text[101]] = [text[101] as string, text[100] as string];
  writeFileSync(bad, text.join('\n'));
  const r = run('score', bad);
  expect(r.status).not.toBe(0);
  expect(r.stderr).toMatch(/order\.csv: line 102: timestamp 2023-\S+ is not after the previous row \(2023-\S+\)/);
});

it('an unwritable output fails before any work', () => {
  const r = run('score', history, '-o', join(work, 'no-such-dir', 'x.csv'));
  expect(r.status).not.toBe(0);
  expect(r.stderr).toContain('does not exist');
  const ro = join(work, 'readonly');
  mkdirSync(ro);
  chmodSync(ro, 0o500);
  if (process.getuid?.() !== 0) {
    const p = run('score', history, '-o', join(ro, 'x.csv'));
    expect(p.stderr).toContain('permission denied');
  }
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

it('validate lists every problem, not just the first', () => {
  expect(run('validate').status).toBe(0);
  const d = join(work, 'invalid');
  cpSync(productionDir, d, { recursive: true });
  const metaPath = join(d, 'production_model_metadata.json');
  const meta = JSON.parse(readFileSync(metaPath, 'utf8'));
  meta.n_features = 13;
  meta.model_weights.xgboost = 0.5;
  writeFileSync(metaPath, JSON.stringify(meta));
  writeFileSync(join(d, 'lightgbm.txt'), `${readFileSync(join(d, 'lightgbm.txt'), 'utf8')}\n`);
  writeFileSync(join(d, 'xgboost.json'), '{"learner": ');
  const r = run('validate', d, '--json');
  expect(r.status).toBe(1);
  const report = JSON.parse(r.stdout);
  const all = report.problems.join('\n');
  expect(all).toContain('n_features says 13 but feature_names lists 12');
  expect(all).toContain('model_weights sum to 1.1');
  expect(all).toMatch(/lightgbm\.txt: sha256 is/);
  expect(all).toMatch(/xgboost\.json: sha256 is/);
  expect(all).toMatch(/xgboost\.json.*(JSON|end)/);
  expect(report.problems.length).toBeGreaterThanOrEqual(5);
});

/** The CLI with a short time-out: a hang fails the test instead of holding the suite. */
function runQuick(...args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: 'utf8', timeout: 30_000, killSignal: 'SIGKILL' });
  if (r.error || r.signal) throw new Error(`${args.join(' ')}: ${r.error?.message ?? r.signal} ${r.stderr}`);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

type Meta = { model_weights: Record<string, number>; model_files: Record<string, { file: string; format: string }> };

/** `validate --json` on a copy of the bundled directory: its metadata edited, then its files. */
function validateChanged(name: string, editMeta: (meta: Meta) => void, editDir: (dir: string) => void = () => {}) {
  const d = join(work, name);
  cpSync(productionDir, d, { recursive: true });
  const metaPath = join(d, 'production_model_metadata.json');
  const meta = JSON.parse(readFileSync(metaPath, 'utf8')) as Meta;
  editMeta(meta);
  writeFileSync(metaPath, JSON.stringify(meta));
  editDir(d);
  const r = runQuick('validate', d, '--json');
  expect(r.stderr).toBe('');
  return { status: r.status, report: JSON.parse(r.stdout) as { ok: boolean; problems: string[]; details: { code: string; file: string; field: string }[] }, dir: d };
}

it('validate applies the rules load applies: weights, formats, file names', () => {
  const w = validateChanged('v-weights', (m) => {
    m.model_weights = { lightgbm: 0, xgboost: 0, random_forest: 0 };
    m.model_files.xgboost.format = 'onnx';
  });
  expect(w.status).toBe(1);
  expect(w.report.problems.join('\n')).toContain('model_weights sum to 0, not 1');
  expect(w.report.problems.join('\n')).toContain("model_files.xgboost.format 'onnx' is not a format");
  expect(w.report.details.map((p) => p.field)).toEqual(['model_weights', 'model_files.xgboost.format']);
  // load and health refuse the same directory
  const h = runQuick('health', '--models', w.dir);
  expect(h.status).toBe(1);
  expect(JSON.parse(h.stdout)).toMatchObject({ status: 'unhealthy', errorCode: 'ERR_METADATA' });
});

it('validate never reads outside the directory (a ../ name that load refuses)', () => {
  // A valid model beside the directory, with the right checksum: only the name is wrong.
  cpSync(join(productionDir, 'lightgbm.txt'), join(work, 'outside.txt'));
  const v = validateChanged('v-outside', (m) => {
    m.model_files.lightgbm.file = '../outside.txt';
  });
  expect(v.status).toBe(1);
  expect(v.report.details).toEqual([
    expect.objectContaining({ code: 'ERR_METADATA', field: 'model_files.lightgbm.file' }),
  ]);
  expect(v.report.problems[0]).toMatch(/model_files\.lightgbm\.file must be a file name in the directory .*got '\.\.\/outside\.txt'/);
  expect(runQuick('health', '--models', v.dir).status).toBe(1);
});

it('validate reports null metadata, a metadata directory, a FIFO and /dev/zero as problems, in JSON', () => {
  const keep = () => {};
  const nul = validateChanged('v-null', keep, (d) => writeFileSync(join(d, 'production_model_metadata.json'), 'null'));
  expect(nul.report.problems[0]).toMatch(/production_model_metadata\.json: the top level must be a JSON object, got null/);
  const dir = validateChanged('v-eisdir', keep, (d) => {
    unlinkSync(join(d, 'production_model_metadata.json'));
    mkdirSync(join(d, 'production_model_metadata.json'));
  });
  expect(dir.report.problems[0]).toMatch(/production_model_metadata\.json: it is a directory, not a regular file/);
  const fifo = validateChanged('v-fifo', keep, (d) => {
    unlinkSync(join(d, 'xgboost.json'));
    expect(spawnSync('mkfifo', [join(d, 'xgboost.json')]).status).toBe(0);
  });
  expect(fifo.report.problems).toEqual([expect.stringMatching(/xgboost\.json: it is a FIFO, not a regular file/)]);
  const health = runQuick('health', '--models', fifo.dir);
  expect(health.status).toBe(1);
  expect(JSON.parse(health.stdout)).toMatchObject({ status: 'unhealthy', errorCode: 'ERR_MODEL_NOT_FOUND' });
  const zero = validateChanged('v-zero', keep, (d) => {
    unlinkSync(join(d, 'random_forest.forest'));
    symlinkSync('/dev/zero', join(d, 'random_forest.forest'));
  });
  expect(zero.report.problems).toEqual([expect.stringMatching(/random_forest\.forest: it is a character device, not a regular file/)]);
  for (const r of [nul, dir, fifo, zero]) expect(r.status).toBe(1);
});

it('--help describes each command', () => {
  expect(run('--help').stdout).toMatch(/score[\s\S]*info[\s\S]*health[\s\S]*validate/);
  const h = run('score', '--help').stdout;
  for (const o of ['--output', '--from-features', '--warmup', '--skip-invalid', '--threads']) expect(h).toContain(o);
});
