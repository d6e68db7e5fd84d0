// The CLI on a large candle file made on the spot: throughput (rows/s) and peak memory of
// `score` on candles (features computed) and on the same rows as ready features, and of
// predictProba on an in-memory feature matrix, all in this one run on this machine.
// Usage: node bench/js/score-10m.bench.mjs [rows=10000000]   (writes bench/results/score-<rows>.json)
import { execFileSync } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..', '..');
const rows = Number(process.argv[2] ?? 10_000_000);
const dir = mkdtempSync(join(tmpdir(), 'pe-score-bench-'));
const candles = join(dir, 'candles.csv');
const cli = join(root, 'dist', 'cli', 'main.js');

async function makeCandles() {
  const out = createWriteStream(candles);
  out.write('timestamp,open,high,low,close,volume\n');
  let t = Date.parse('2000-01-01T00:00:00Z');
  let p = 100;
  let buf = '';
  for (let i = 0; i < rows; i++, t += 60_000) {
    const o = p;
    p *= 1 + (Math.random() - 0.5) * 0.004;
    buf += `${new Date(t).toISOString()},${o.toFixed(2)},${(Math.max(o, p) * 1.001).toFixed(2)},${(Math.min(o, p) * 0.999).toFixed(2)},${p.toFixed(2)},${(100 + Math.random() * 1000).toFixed(4)}\n`;
    if (buf.length > 1 << 20) {
      if (!out.write(buf)) await once(out, 'drain');
      buf = '';
    }
  }
  out.end(buf);
  await once(out, 'finish');
}

function score(args) {
  const t = performance.now();
  const json = execFileSync(process.execPath, [cli, 'score', ...args, '--json', '--no-progress'], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const s = JSON.parse(json);
  return { seconds: (performance.now() - t) / 1000, rowsPerSecond: s.inputRows / ((performance.now() - t) / 1000), peakRssMiB: s.peakRssMiB, inputRows: s.inputRows, scoredRows: s.scoredRows };
}

await makeCandles();
const results = { rows, date: new Date().toISOString(), node: process.versions.node, cores: (await import('node:os')).availableParallelism() };
const featuresCsv = join(dir, 'features.csv');
// The candle run also writes the features' scores; a features file for the second run comes from
// the package's own feature computation (warm-up rows as NaN so row counts match).
execFileSync(process.execPath, ['--input-type=module', '-e', `
  import { DuckDBInstance } from '@duckdb/node-api';
  import { computeFeatures, FEATURE_NAMES } from ${JSON.stringify(join(root, 'dist', 'index.js'))};
  const db = await DuckDBInstance.create(':memory:'); const c = await db.connect();
  const r = (await c.runAndReadAll("SELECT open, high, low, close, volume FROM read_csv('${candles}')"));
  const cols = r.getColumns().map((col) => Float64Array.from(col));
  const f = computeFeatures({ open: cols[0], high: cols[1], low: cols[2], close: cols[3], volume: cols[4] }, { warmup: 'skip' });
  await c.run('CREATE TABLE t (' + FEATURE_NAMES.map((n) => n + ' DOUBLE').join(', ') + ')');
  const a = await c.createAppender('t');
  for (let i = 0; i < f.rows; i++) { for (let j = 0; j < 12; j++) a.appendDouble(f.features[i * 12 + j]); a.endRow(); }
  a.closeSync();
  await c.run("COPY t TO '${featuresCsv}' (HEADER)");
`], { cwd: root, stdio: 'inherit', maxBuffer: 1 << 26 });

results.candlesToParquet = score([candles, '-o', join(dir, 'out.parquet')]);
results.candlesToCsv = score([candles, '-o', join(dir, 'out.csv')]);
results.candlesNoOutput = score([candles]);
results.featuresNoOutput = score([featuresCsv, '--from-features']);
// In-process: predictProba on the feature matrix already in memory (the ceiling for the CLI).
results.inMemoryMatrix = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', `
  import { ProductionEnsemble } from ${JSON.stringify(join(root, 'dist', 'index.js'))};
  const m = await ProductionEnsemble.load();
  const n = ${Math.min(rows, 2_000_000)}; const x = new Float64Array(n * 12);
  for (let i = 0; i < x.length; i++) x[i] = Math.random() * 100;
  const t = performance.now(); m.predictProba(x); const s = (performance.now() - t) / 1000;
  console.log(JSON.stringify({ rows: n, seconds: s, rowsPerSecond: n / s }));
`], { cwd: root, encoding: 'utf8' }));
console.log(JSON.stringify(results, null, 2));
mkdirSync(join(root, 'bench', 'results'), { recursive: true });
writeFileSync(join(root, 'bench', 'results', `score-${rows}.json`), `${JSON.stringify(results, null, 2)}\n`);
rmSync(dir, { recursive: true, force: true });
