// The DuckDB choices of the batch pipeline, measured on a candle CSV made on the spot (median of
// 3 runs in one process; docs/cli.md quotes the results):
//   reading: rows/s of streaming the CSV's six columns into typed arrays, per value (getItem, as
//     the CLI used to) vs one bulk copy per chunk vector (vector_get_data);
//   (and DuckDB's threads, streaming_buffer_size, memory_limit for each).
// The Parquet writers are compared in parquet-writers.bench.mjs.
// Usage: node bench/js/duckdb-options.bench.mjs [rows=1000000]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import duckdb from '@duckdb/node-bindings';
import { DuckDBInstance } from '@duckdb/node-api';

const rows = Number(process.argv[2] ?? 1_000_000);
const dir = mkdtempSync(join(tmpdir(), 'pe-duckdb-options-'));
const csv = join(dir, 'candles.csv');

const setup = await DuckDBInstance.create(':memory:');
const sc = await setup.connect();
await sc.run(`COPY (SELECT strftime(TIMESTAMP '2000-01-01' + to_minutes(i), '%Y-%m-%dT%H:%M:%SZ') AS timestamp,
  round(100 + random(), 2) AS open, round(101 + random(), 2) AS high, round(99 + random(), 2) AS low,
  round(100 + random(), 2) AS close, round(1000 * random(), 4) AS volume FROM range(${rows}) t(i)) TO '${csv}' (HEADER)`);
sc.closeSync();
setup.closeSync();

// The reader's query: the time read as text and cast (src/pipeline/query.ts says why).
const select = `SELECT open, high, low, close, volume, CAST(CASE WHEN timestamp IS NULL THEN NULL WHEN ascii(timestamp) NOT BETWEEN 48 AND 57 THEN 'inf'::DOUBLE
  ELSE coalesce(CAST(epoch_us(TRY_CAST(timestamp AS TIMESTAMPTZ)) AS DOUBLE), 'inf'::DOUBLE) END AS DOUBLE) FROM read_csv('${csv}', header=true, auto_detect=false,
  columns={'timestamp': 'VARCHAR', 'open': 'DOUBLE', 'high': 'DOUBLE', 'low': 'DOUBLE', 'close': 'DOUBLE', 'volume': 'DOUBLE'})`;

async function read(mode, threads, memory, buffer) {
  const db = await DuckDBInstance.create(':memory:', { threads: String(threads), ...(memory ? { memory_limit: memory } : {}) });
  const c = await db.connect();
  await c.run("SET TimeZone = 'UTC'");
  if (buffer) await c.run(`SET streaming_buffer_size = '${buffer}'`);
  const cols = Array.from({ length: 6 }, () => new Float64Array(rows));
  let at = 0;
  const r = await c.stream(select);
  for (;;) {
    const chunk = await r.fetchChunk();
    const n = chunk?.rowCount ?? 0;
    if (n === 0) break;
    for (let k = 0; k < 6; k++) {
      if (mode === 'getItem') {
        const v = chunk.getColumnVector(k);
        const dst = cols[k];
        for (let i = 0; i < n; i++) dst[at + i] = v.getItem(i) ?? Number.NaN;
      } else {
        const d = duckdb.vector_get_data(duckdb.data_chunk_get_vector(chunk.chunk, k), n * 8);
        cols[k].set(new Float64Array(d.buffer, d.byteOffset, n), at);
      }
    }
    at += n;
  }
  c.closeSync();
  db.closeSync();
  if (at !== rows) throw new Error(`read ${at} of ${rows} rows, no error`);
}

async function median(label, fn) {
  const times = [];
  for (let k = 0; k < 3; k++) {
    const t = performance.now();
    await fn();
    times.push((performance.now() - t) / 1000);
  }
  times.sort((a, b) => a - b);
  console.log(`| ${label} | ${times[1].toFixed(3)} | ${Math.round(rows / times[1]).toLocaleString('en')} |`);
}

console.log(`| ${rows.toLocaleString('en')} rows | median s | rows/s |\n|---|---|---|`);
for (const threads of [1, 2]) {
  await median(`read, getItem per value, ${threads} thread(s)`, () => read('getItem', threads));
  await median(`read, bulk vector copy, ${threads} thread(s)`, () => read('bulk', threads));
  for (const buffer of ['16MB', '64MB']) {
    await median(`read, bulk vector copy, ${threads} thread(s), streaming_buffer_size ${buffer}`, () => read('bulk', threads, undefined, buffer));
  }
}
// With memory_limit 64MB the streamed read ends early, without an error (DuckDB 1.5.6): the reader
// leaves DuckDB's memory limit at its default; `read` checks the row count.
try {
  await median('read, bulk vector copy, 1 thread, memory_limit 64MB', () => read('bulk', 1, '64MB'));
} catch (e) {
  console.log(`| read, bulk vector copy, 1 thread, memory_limit 64MB | ${e.message} | |`);
}
rmSync(dir, { recursive: true, force: true });
