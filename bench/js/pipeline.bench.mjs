// The batch pipeline (issue 11) on data made on the spot, stage by stage, in this one run:
//   1. N candles of one symbol, CSV -> Parquet, by the CLI in a fresh process (end to end, start-up
//      included), with the summary's per-stage busy times, CPU / wall and peak RSS;
//   2. the same pipeline with a scorer that does nothing (the ceiling of reading, features and
//      writing), and the ensemble alone on feature rows already in memory (the scorer's rate):
//      which stage bounds the end-to-end rate, and by how much;
//   3. an S-symbol hive-partitioned Parquet dataset of N candles -> a partitioned Parquet output,
//      a few symbols checked row by row against scoring their own file;
//   4. the Python path on the same CSV: pandas features, the three libraries, to_parquet;
//   5. the same dataset as one CSV with the symbols interleaved by time -> partitioned Parquet
//      (every partition open at once: the memory bound of the partitioned writer).
// Usage: node bench/js/pipeline.bench.mjs [--rows 10000000] [--symbols 1000] [--no-python]
//          [--data DIR] [--only cli,noscorer,scorer,dataset,python,interleaved]
// Writes bench/results/pipeline-<rows>.json. Run it only on a quiet machine. --data keeps the data
// in DIR (made there if missing) and --only runs some parts, so that the parts can run in separate
// quiet windows on the same files: their results are merged into the same JSON.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';

const root = resolve(import.meta.dirname, '..', '..');
const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '10000000' },
    symbols: { type: 'string', default: '1000' },
    'no-python': { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    data: { type: 'string' },
    only: { type: 'string', default: 'cli,noscorer,scorer,dataset,python,interleaved' },
  },
});
const rows = Number(args.rows);
const symbols = Number(args.symbols);
const perSymbol = Math.ceil(rows / symbols);
const parts = new Set(args.only.split(','));
const dir = args.data ? resolve(args.data) : mkdtempSync(join(tmpdir(), 'pe-pipeline-bench-'));
mkdirSync(dir, { recursive: true });
const cli = join(root, 'dist', 'cli', 'main.js');
const python = join(root, '.venv', 'bin', 'python');
const say = (m) => process.stderr.write(`${m}\n`);

async function sql(statements, threads = availableParallelism()) {
  const db = await DuckDBInstance.create(':memory:', { threads: String(threads) });
  const c = await db.connect();
  try {
    let rows;
    for (const s of [statements].flat()) rows = (await c.runAndReadAll(s)).getRows();
    return rows;
  } finally {
    c.closeSync();
    db.closeSync();
  }
}

// A random walk (log-price steps of ±0.025%) of n candles a minute apart from `level`, prices to
// the cent; `iso` writes the time as ISO 8601 text (for CSV), else as a TIMESTAMP.
const walk = (n, level, iso) => `
  WITH r AS (SELECT i, random() AS u1, random() AS u2, random() AS u3, random() AS u4 FROM range(${n}) t(i)),
       w AS (SELECT i, u2, u3, u4, ${level} * exp(sum(0.0005 * (u1 - 0.5)) OVER (ORDER BY i ROWS UNBOUNDED PRECEDING)) AS c FROM r),
       p AS (SELECT i, u2, u3, u4, c, coalesce(lag(c) OVER (ORDER BY i), c) AS o FROM w)
  SELECT ${iso ? "strftime(TIMESTAMP '2000-01-01' + to_minutes(i), '%Y-%m-%dT%H:%M:%SZ')" : "TIMESTAMP '2020-01-01' + to_minutes(i)"} AS timestamp,
         round(o, 2) AS open, round(greatest(o, c) * (1 + 0.001 * u2), 2) AS high,
         round(least(o, c) * (1 - 0.001 * u3), 2) AS low, round(c, 2) AS close, round(100 + 1000 * u4, 4) AS volume
  FROM p ORDER BY i`;

function cliRun(args) {
  const t = performance.now();
  const r = spawnSync(process.execPath, [cli, 'score', ...args, '--json', '--no-progress'], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const wall = (performance.now() - t) / 1000;
  if (r.status !== 0) throw new Error(`score ${args.join(' ')}: ${r.stderr}`);
  const s = JSON.parse(r.stdout);
  return { wallSeconds: wall, rowsPerSecond: s.inputRows / wall, summary: s };
}

function nodeRun(code) {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { cwd: root, encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout);
}

const resultsFile = join(root, 'bench', 'results', `pipeline-${rows}.json`);
// Parts run in an earlier window on the same data are kept; this run's replace them.
const earlier = args.data && existsSync(resultsFile) ? JSON.parse(readFileSync(resultsFile, 'utf8')) : {};
const results = { ...earlier, rows, symbols, date: new Date().toISOString(), node: process.versions.node, cores: availableParallelism() };
const candles = join(dir, 'candles.csv');
const hive = join(dir, 'hive');
const names = Array.from({ length: symbols }, (_, k) => `S${String(k).padStart(4, '0')}`);

if (!existsSync(join(dir, '.made'))) {
  say(`making ${rows.toLocaleString('en')} candles (CSV) and a ${symbols}-symbol dataset of ${(perSymbol * symbols).toLocaleString('en')} candles (Parquet) in ${dir}`);
  await sql(`COPY (${walk(rows, 100, true)}) TO '${candles}' (HEADER, DELIMITER ',')`);
  // One file per symbol (a partitioned COPY does not keep a partition's rows in order).
  for (const n of names) mkdirSync(join(hive, `symbol=${n}`), { recursive: true });
  await sql(names.map((n, k) => `COPY (${walk(perSymbol, 20 + (k % 50) * 10, false)}) TO '${join(hive, `symbol=${n}`, 'part-0.parquet')}' (FORMAT parquet)`));
  writeFileSync(join(dir, '.made'), `${rows} ${symbols}\n`);
}
const dist = JSON.stringify(join(root, 'dist'));

/** Symbols `ks` of a partitioned output against scoring each symbol's own file: how many matched. */
async function checkOwn(out, ks) {
  let checked = 0;
  for (const s of ks.map((k) => names[k])) {
    const own = join(dir, `${s}.parquet`);
    copyFileSync(join(hive, `symbol=${s}`, readdirSync(join(hive, `symbol=${s}`))[0]), own);
    cliRun([own, '-o', join(dir, `${s}.scores.parquet`)]);
    const cols = 'timestamp, lightgbm, xgboost, random_forest, ensemble, label';
    const a = `SELECT ${cols} FROM read_parquet('${join(dir, `${s}.scores.parquet`)}')`;
    const b = `SELECT ${cols} FROM read_parquet('${join(out, `symbol=${s}`, '*.parquet')}')`;
    const diff = await sql(`SELECT (SELECT count(*) FROM (${a} EXCEPT ALL ${b})) + (SELECT count(*) FROM (${b} EXCEPT ALL ${a}))`);
    if (Number(diff[0][0]) !== 0) throw new Error(`${s}: ${diff[0][0]} rows differ from scoring its own file`);
    rmSync(own, { force: true });
    rmSync(join(dir, `${s}.scores.parquet`), { force: true });
    checked++;
  }
  return checked;
}

if (parts.has('cli')) {
  say('1. CSV -> Parquet, the CLI end to end');
  results.csvToParquet = cliRun([candles, '-o', join(dir, 'out.parquet')]);
  rmSync(join(dir, 'out.parquet'), { force: true });
}

if (parts.has('noscorer')) {
  say('2a. the same without scoring (a scorer that returns at once)');
  results.withoutScorer = nodeRun(`
    const { scoreTable } = await import(${dist} + '/index.js');
    const t = performance.now();
    const zero = (n) => new Float64Array(n);
    const scorer = { nFeatures: 12, featureNames: [], threshold: 0.5, score: async (f, n) => ({ lightgbm: zero(n), xgboost: zero(n), randomForest: zero(n), ensemble: zero(n) }) };
    const s = await scoreTable(${JSON.stringify(candles)}, { output: ${JSON.stringify(join(dir, 'noscore.parquet'))}, scorer });
    const wall = (performance.now() - t) / 1000;
    console.log(JSON.stringify({ wallSeconds: wall, rowsPerSecond: s.inputRows / wall, summary: s }));
  `);
  rmSync(join(dir, 'noscore.parquet'), { force: true });
}

if (parts.has('scorer')) {
  say('2b. the ensemble alone on 2,000,000 feature rows in memory (65,536-row async calls)');
  results.scorerAlone = nodeRun(`
    const { ProductionEnsemble, computeFeatures } = await import(${dist} + '/index.js');
    const n = 2_000_049; const c = { open: new Float64Array(n), high: new Float64Array(n), low: new Float64Array(n), close: new Float64Array(n), volume: new Float64Array(n) };
    let p = 100; for (let i = 0; i < n; i++) { const o = p; p *= 1 + (Math.random() - 0.5) * 0.004; c.open[i] = o; c.close[i] = p; c.high[i] = Math.max(o, p) * 1.001; c.low[i] = Math.min(o, p) * 0.999; c.volume[i] = 100 + Math.random() * 1000; }
    const f = computeFeatures(c);
    const m = await ProductionEnsemble.load();
    const t = performance.now(); const cpu = process.cpuUsage();
    for (let r = 0; r < f.rows; r += 65536) await m.predictModelsAsync(f.features.subarray(r * 12, Math.min(f.rows, r + 65536) * 12));
    const s = (performance.now() - t) / 1000; const u = process.cpuUsage(cpu);
    console.log(JSON.stringify({ rows: f.rows, seconds: s, rowsPerSecond: f.rows / s, cpuPerWall: (u.user + u.system) / 1e6 / s }));
    m.close();
  `);
}

if (parts.has('dataset')) {
  say(`3. the ${symbols}-symbol dataset -> partitioned Parquet`);
  const out = join(dir, 'parts');
  rmSync(out, { recursive: true, force: true });
  results.dataset = cliRun([hive, '-o', out, '--partition-by', 'symbol']);
  results.dataset.symbolsCheckedAgainstOwnFile = await checkOwn(out, [0, Math.floor(symbols / 2), symbols - 1]);
  rmSync(out, { recursive: true, force: true });
}

if (parts.has('interleaved')) {
  say(`5. the ${symbols} symbols interleaved by time in one CSV -> partitioned Parquet`);
  const mixed = join(dir, 'interleaved.csv');
  if (!existsSync(mixed)) {
    await sql(`COPY (SELECT symbol, strftime(timestamp, '%Y-%m-%dT%H:%M:%SZ') AS timestamp, open, high, low, close, volume
      FROM read_parquet('${join(hive, '*', '*.parquet')}', hive_partitioning = true) ORDER BY timestamp, symbol) TO '${mixed}' (HEADER, DELIMITER ',')`);
  }
  const out = join(dir, 'parts-interleaved');
  rmSync(out, { recursive: true, force: true });
  results.interleaved = cliRun([mixed, '-o', out, '--partition-by', 'symbol']);
  results.interleaved.symbolsCheckedAgainstOwnFile = await checkOwn(out, [1, Math.floor(symbols / 3), symbols - 2]);
  rmSync(out, { recursive: true, force: true });
}

if (parts.has('python') && !args['no-python'] && existsSync(python)) {
  const ok = spawnSync(python, ['-c', 'import pandas, pyarrow'], { encoding: 'utf8' });
  if (ok.status !== 0) {
    results.python = { skipped: 'pandas and pyarrow are not installed in .venv (node bench/setup.mjs installs them)' };
  } else {
    say('4. the Python path (pandas features, the three libraries, to_parquet)');
    execFileSync(python, [join(root, 'bench', 'python', 'score_pipeline.py'), '--prepare'], { stdio: ['ignore', 'ignore', 'inherit'] });
    const t = performance.now();
    const out = execFileSync(python, [join(root, 'bench', 'python', 'score_pipeline.py'), candles, join(dir, 'py.parquet'), '--threads', String(availableParallelism())], { encoding: 'utf8', maxBuffer: 1 << 26 });
    const wall = (performance.now() - t) / 1000;
    const py = JSON.parse(out);
    results.python = { wallSeconds: wall, rowsPerSecond: py.inputRows / wall, ...py };
    rmSync(join(dir, 'py.parquet'), { force: true });
  }
}
if (results.python?.wallSeconds && results.csvToParquet) results.speedupOverPython = results.python.wallSeconds / results.csvToParquet.wallSeconds;

const r1 = results.csvToParquet;
if (r1 && results.withoutScorer && results.scorerAlone) {
  results.bound = {
    endToEndRowsPerSecond: r1.rowsPerSecond,
    withoutScorerRowsPerSecond: results.withoutScorer.rowsPerSecond,
    scorerAloneRowsPerSecond: results.scorerAlone.rowsPerSecond,
    scorerBusyShare: r1.summary.stages.score / r1.summary.seconds,
  };
}
say(JSON.stringify(results, null, 2));
mkdirSync(join(root, 'bench', 'results'), { recursive: true });
writeFileSync(resultsFile, `${JSON.stringify(results, null, 2)}\n`);
const f = (x) => Math.round(x).toLocaleString('en');
const row = (label, r) => (r ? `| ${label} | ${r.wallSeconds.toFixed(2)} | ${f(r.rowsPerSecond)} | ${r.summary.cpuPerWall.toFixed(2)} | ${r.summary.peakRssMiB} |` : `| ${label} | not run | | | |`);
const sa = results.scorerAlone;
const st = r1?.summary.stages;
console.log(`
| run | wall s | rows/s | CPU / wall | peak RSS MiB |
|---|---|---|---|---|
${row(`${rows.toLocaleString('en')} candles CSV -> Parquet (CLI)`, r1)}
${row('same, scorer replaced by a no-op', results.withoutScorer)}
${sa ? `| the ensemble alone, features in memory | ${sa.seconds.toFixed(2)} | ${f(sa.rowsPerSecond)} | ${sa.cpuPerWall.toFixed(2)} | |` : '| the ensemble alone | not run | | | |'}
${row(`${symbols}-symbol dataset -> partitioned Parquet (CLI)`, results.dataset)}
${row(`${symbols} symbols interleaved in one CSV -> partitioned Parquet (CLI)`, results.interleaved)}
${results.python?.wallSeconds ? `| Python: pandas + the three libraries + to_parquet | ${results.python.wallSeconds.toFixed(2)} | ${f(results.python.rowsPerSecond)} | ${(results.python.cpuSeconds / results.python.seconds).toFixed(2)} | ${results.python.peakRssMiB} |` : `| Python | ${results.python?.skipped ?? 'not run'} | | | |`}
${results.speedupOverPython ? `\nCLI over Python: ${results.speedupOverPython.toFixed(2)}x` : ''}
${st ? `stages of run 1 (busy seconds, overlapping): start-up ${st.startup.toFixed(2)}, read ${st.read.toFixed(2)}, features ${st.features.toFixed(2)}, score ${st.score.toFixed(2)} (${f(st.scorerRowsPerSecond)} rows/s), write ${st.write.toFixed(2)}` : ''}
`);
if (!args.keep && !args.data) rmSync(dir, { recursive: true, force: true });
