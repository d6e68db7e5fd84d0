// The explain and drift commands as a user runs them: explain's table equals the API's
// explanation row by row (CSV and Parquet, --parts, --last), its SVG waterfall, drift's windows
// on a history shifted on purpose at a known time, and clear errors.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, expect, it } from 'vitest';
import { ProductionEnsemble } from '../dist/index.js';
import { productionDir, root } from './helpers.js';

const cli = join(root, 'dist', 'cli', 'main.js');
const features = join(root, 'data', 'sample_features.csv');
const work = mkdtempSync(join(tmpdir(), 'pe-cli-explain-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: 'utf8', timeout: 300_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const lines = (path: string) => readFileSync(path, 'utf8').trim().split('\n');
const featureLines = lines(features);
const header = featureLines[0]?.split(',') ?? [];

it('explain --from-features --last 40 --parts: the API explanation, row by row', async () => {
  const out = join(work, 'explain.csv');
  const r = run('explain', features, '--from-features', '--last', '40', '--parts', '-o', out);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  expect(r.stdout).toContain('explained 40 rows');
  const got = lines(out);
  const cols = got[0]?.split(',') ?? [];
  expect(cols.slice(0, 4)).toEqual(['timestamp', 'p_up', 'expected_value', 'contribution_close']);
  expect(cols).toContain('random_forest_rsi_14');
  expect(got).toHaveLength(41);
  const tail = featureLines.slice(-40).map((l) => l.split(','));
  const model = await ProductionEnsemble.load(productionDir);
  try {
    const rows = tail.map((f) => model.featureNames.map((n) => Number(f[header.indexOf(n)])));
    const e = model.explain(rows);
    const p = model.predictProba(rows);
    for (let r = 0; r < 40; r++) {
      const v = got[r + 1]?.split(',') ?? [];
      expect(v[0]).toBe(tail[r]?.[0]);
      expect(Number(v[1])).toBeCloseTo(p[r] as number, 12);
      expect(Number(v[2])).toBe(e.expectedValue[r]);
      for (let j = 0; j < 12; j++) expect(Number(v[3 + j])).toBe(e.row(r)[j]);
      const rf = cols.indexOf('random_forest_p_up');
      expect(Number(v[rf])).toBeCloseTo(e.models.randomForest.total(r), 12);
    }
  } finally {
    model.close();
  }
});

it('explain on candles to Parquet, with an SVG waterfall of one row', async () => {
  const candles = join(work, 'candles.csv');
  writeFileSync(candles, `${lines(join(root, 'data', 'sample_history.csv')).slice(0, 400).join('\n')}\n`);
  const out = join(work, 'explain.parquet');
  const svg = join(work, 'why.svg');
  const r = run('explain', candles, '-o', out, '--svg', svg, '--json');
  expect(r.status, r.stderr).toBe(0);
  const summary = JSON.parse(r.stdout) as { rows: number; svg: string; meanAbsContribution: { feature: string }[] };
  expect(summary.rows).toBeGreaterThan(300);
  expect(summary.meanAbsContribution).toHaveLength(12);
  const db = await DuckDBInstance.create();
  const conn = await db.connect();
  const rows = (await conn.runAndReadAll(`SELECT count(*) AS n, min(p_up) AS lo FROM '${out}'`)).getRowObjects();
  expect(Number(rows[0]?.n)).toBe(summary.rows);
  expect(Number(rows[0]?.lo)).toBeGreaterThan(0);
  conn.closeSync();
  db.closeSync();
  const text = readFileSync(svg, 'utf8');
  expect(text.startsWith('<svg')).toBe(true);
  expect(text).toContain('P(up) = ');
  expect(text).toMatch(/other features|rsi_14 = /);
  expect((text.match(/<rect /g) ?? []).length).toBeGreaterThanOrEqual(11);
});

it('explain: a forest file without node weights is a clear error, nothing written', () => {
  const dir = mkdtempSync(join(work, 'models-'));
  for (const f of ['lightgbm.txt', 'xgboost.json', 'model_metadata.json']) copyFileSync(join(productionDir, f), join(dir, f));
  // A format 1.0 forest of another model would not load (features); strip the node_weights record instead.
  const bytes = readFileSync(join(productionDir, 'random_forest.forest'));
  writeFileSync(join(dir, 'random_forest.forest'), stripNodeWeights(bytes));
  const out = join(work, 'never.csv');
  const r = run('explain', features, '--from-features', '--last', '3', '-m', dir, '-o', out);
  expect(r.status).toBe(20);
  expect(r.stderr).toMatch(/NotExplainableError \[ERR_NOT_EXPLAINABLE\]: the random forest cannot be explained: the forest file has no node_weights record/);
  expect(() => readFileSync(out)).toThrow();
});

it('drift on a history shifted on purpose: windows after the shift drift in rsi_14, not before', () => {
  const shifted = join(work, 'shifted.csv');
  const rsi = header.indexOf('rsi_14');
  // Rows 1001..9000 of the sample (warm-up effects left out); rsi_14 + 30 from row 5001 on.
  const body = featureLines.slice(1001, 9001).map((l, i) => {
    const v = l.split(',');
    if (i >= 4000) v[rsi] = String(Number(v[rsi]) + 30);
    return v.join(',');
  });
  writeFileSync(shifted, `${featureLines[0]}\n${body.join('\n')}\n`);
  const out = join(work, 'drift.csv');
  const r = run('drift', shifted, '--from-features', '--window', '1000rows', '-o', out, '--json');
  expect(r.status, r.stderr).toBe(0);
  const report = JSON.parse(r.stdout) as { windows: { rows: number; drifted: string[]; columns: { name: string; psi: number }[] }[] };
  expect(report.windows).toHaveLength(8);
  report.windows.forEach((w, i) => {
    expect(w.rows).toBe(1000);
    expect(w.drifted.includes('rsi_14'), `window ${i}`).toBe(i >= 4);
    for (const name of ['returns_1', 'bb_position', 'zscore', 'volume_ratio']) expect(w.drifted, `window ${i}`).not.toContain(name);
  });
  const table = lines(out);
  expect(table[0]?.split(',').slice(0, 4)).toEqual(['window_start', 'rows', 'drifted_columns', 'psi_close']);
  expect(table).toHaveLength(9);
});

it('drift: bad window, no timestamps for time windows, no reference: clear errors', () => {
  expect(run('drift', features, '--from-features', '--window', 'fortnight').stderr).toMatch(/--window must be like 12h, 3d, 1w or 5000rows/);
  const noTime = join(work, 'notime.csv');
  writeFileSync(noTime, `${header.slice(1).join(',')}\n${featureLines[1]?.split(',').slice(1).join(',')}\n`);
  expect(run('drift', noTime, '--from-features').stderr).toMatch(/time windows need one/);
  const dir = mkdtempSync(join(work, 'legacy-'));
  for (const f of ['lightgbm.txt', 'xgboost.json', 'random_forest.forest', 'model_metadata.json']) copyFileSync(join(productionDir, f), join(dir, f));
  const r = run('drift', features, '--from-features', '-m', dir);
  expect(r.status).toBe(7);
  expect(r.stderr).toMatch(/MetadataError \[ERR_METADATA\]: .* has no drift_reference/);
});

// The forest file without its node_weights record (format 1.0 as a reader sees it), resealed.
function stripNodeWeights(b: Buffer): Buffer {
  const key = Buffer.from('node_weights');
  const at = b.indexOf(key) - 8;
  const valueLength = b.readUInt32LE(at + 4);
  let end = at + 8 + key.length + valueLength;
  end += (8 - (end % 8)) % 8;
  const body = Buffer.concat([b.subarray(0, at), b.subarray(end, b.length - 8)]);
  body.writeUInt16LE(0, 10);
  body.writeBigUInt64LE(BigInt(body.length + 8), 40);
  const crc = Buffer.alloc(4);
  crc.writeUInt32LE(crc32(body) >>> 0);
  return Buffer.concat([body, crc, Buffer.from('TSRF')]);
}

function crc32(data: Buffer): number {
  let c = 0xffffffff;
  for (const byte of data) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}
