// Which CSV reader for `production-ensemble score`: streams an N-row candle CSV (made on the spot)
// with each contender, summing the close column, in this one process; prints the median of 3 runs.
// Usage: (cd bench && npm install) && node bench/js/readers.bench.mjs [rows=2000000]
import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(join(import.meta.dirname, '..', 'package.json'));
const { parse } = require('csv-parse');
const { DuckDBInstance } = require('@duckdb/node-api');

const rows = Number(process.argv[2] ?? 2_000_000);
const dir = mkdtempSync(join(tmpdir(), 'pe-readers-'));
const file = join(dir, 'candles.csv');
{
  const parts = ['timestamp,open,high,low,close,volume\n'];
  let t = Date.parse('2000-01-01T00:00:00Z');
  let p = 100;
  for (let i = 0; i < rows; i++, t += 60_000) {
    const o = p;
    p *= 1 + (Math.random() - 0.5) * 0.002;
    parts.push(`${new Date(t).toISOString()},${o.toFixed(2)},${(Math.max(o, p) * 1.001).toFixed(2)},${(Math.min(o, p) * 0.999).toFixed(2)},${p.toFixed(2)},${(Math.random() * 1000).toFixed(4)}\n`);
  }
  writeFileSync(file, parts.join(''));
}

async function duckdb() {
  const db = await DuckDBInstance.create(':memory:', { threads: '1' });
  const c = await db.connect();
  const r = await c.stream(`SELECT CAST(timestamp AS VARCHAR), open, high, low, close, volume FROM read_csv('${file}', header=true, auto_detect=false, columns={'timestamp':'VARCHAR','open':'DOUBLE','high':'DOUBLE','low':'DOUBLE','close':'DOUBLE','volume':'DOUBLE'})`);
  let sum = 0;
  for (;;) {
    const ch = await r.fetchChunk();
    if (!ch || ch.rowCount === 0) break;
    const v = ch.getColumnVector(4);
    for (let i = 0; i < ch.rowCount; i++) sum += v.getItem(i);
  }
  c.closeSync();
  return sum;
}

async function csvParse() {
  let sum = 0;
  for await (const rec of createReadStream(file).pipe(parse({ from_line: 2 }))) sum += Number(rec[4]);
  return sum;
}

const contenders = { '@duckdb/node-api': duckdb, 'csv-parse': csvParse };
const results = {};
for (const [name, fn] of Object.entries(contenders)) {
  const times = [];
  for (let k = 0; k < 3; k++) {
    const t = performance.now();
    await fn();
    times.push((performance.now() - t) / 1000);
  }
  times.sort((a, b) => a - b);
  results[name] = times[1];
  console.log(`${name.padEnd(18)} median ${times[1].toFixed(2)} s  ${Math.round(rows / times[1]).toLocaleString('en')} rows/s`);
}
rmSync(dir, { recursive: true, force: true });
