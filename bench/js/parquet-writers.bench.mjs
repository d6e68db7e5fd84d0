// Parquet writers for the pipeline's scored blocks (docs/cli.md quotes the results): the same
// 65,536-row blocks (epoch-µs times with a null, four random P(up), a 0/1 label, optionally a
// symbol of `symbols`) written by each candidate in a fresh process, timed without start-up, then
// read back by DuckDB: the types (TIMESTAMP WITH TIME ZONE, UTINYINT), every value, the row groups.
//   package:     src/pipeline/parquet-writer.ts (parquet-wasm fed Arrow record batches, streamed)
//   hyparquet:   hyparquet-writer's ParquetWriter, one write() per block (bench/package.json)
//   duckdb-mem:  DuckDB's appender (each block's columns copied into data chunks) into an
//                in-memory table, then COPY ... TO parquet at the end
//   duckdb-disk: the same into an on-disk scratch database with a 256 MB memory limit
// Usage: (cd bench && npm install) && npm run build:ts && node bench/js/parquet-writers.bench.mjs [rows=1000000] [symbols=0]
// One candidate: node bench/js/parquet-writers.bench.mjs --run <candidate> <rows> <symbols> <out>
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import duckdb from '@duckdb/node-bindings';
import { DOUBLE, DuckDBDataChunk, DuckDBInstance, UINTEGER, UTINYINT } from '@duckdb/node-api';

const root = resolve(import.meta.dirname, '..', '..');
const BLOCK = 65_536;
const CANDIDATES = ['package', 'hyparquet', 'duckdb-mem', 'duckdb-disk'];

// Four random blocks, cycled; the time goes up a minute a row; row 3 has no time.
function blocksOf(rows, nsym) {
  let s = 42;
  const r = () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
  const symbols = Array.from({ length: Math.max(nsym, 1) }, (_, i) => `SYM${String(i).padStart(4, '0')}USDT`);
  const tmpl = Array.from({ length: 4 }, () => ({
    p: Array.from({ length: 4 }, () => Float64Array.from({ length: BLOCK }, r)),
    label: Uint8Array.from({ length: BLOCK }, () => (r() < 0.5 ? 1 : 0)),
    sym: Uint32Array.from({ length: BLOCK }, () => Math.floor(r() * symbols.length)),
  }));
  const at = (i) => {
    const t = tmpl[Math.floor(i / BLOCK) % 4];
    const w = i % BLOCK;
    return { time: i === 3 ? null : 946684800e6 + i * 60e6, p: t.p.map((a) => a[w]), label: t.label[w], symbol: symbols[t.sym[w]] };
  };
  function* blocks() {
    for (let start = 0, k = 0; start < rows; start += BLOCK, k++) {
      const n = Math.min(BLOCK, rows - start);
      const t = tmpl[k % 4];
      const timeUs = new Float64Array(n);
      for (let i = 0; i < n; i++) timeUs[i] = 946684800e6 + (start + i) * 60e6;
      if (start === 0) timeUs[3] = Number.NaN;
      const [lightgbm, xgboost, randomForest, ensemble] = t.p.map((a) => a.subarray(0, n));
      yield { rows: n, timeUs, lightgbm, xgboost, randomForest, ensemble, label: t.label.subarray(0, n), symbolIndex: t.sym.subarray(0, n), symbols };
    }
  }
  return { blocks, at, symbols };
}

/** Epoch µs doubles as int64 (BigInt64Array) without a BigInt per value. */
function int64(src, n) {
  const out = new BigInt64Array(n);
  const w = new Int32Array(out.buffer);
  for (let i = 0; i < n; i++) {
    const v = src[i];
    if (v !== v) continue;
    const hi = Math.floor(v / 4294967296);
    w[2 * i] = v - hi * 4294967296;
    w[2 * i + 1] = hi;
  }
  return out;
}

async function write(candidate, rows, nsym, out) {
  const withSymbol = nsym > 0;
  const { blocks } = blocksOf(rows, nsym);
  const gen = blocks();
  let genMs = 0;
  const next = () => {
    const t = performance.now();
    const it = gen.next();
    genMs += performance.now() - t;
    return it.done ? undefined : it.value;
  };
  const i0 = performance.now();
  let run;
  if (candidate === 'package') {
    const { ParquetStream } = await import(join(root, 'dist', 'pipeline', 'parquet-writer.js'));
    run = async () => {
      const f = await ParquetStream.open(out, { withSymbol, keyValues: {}, create: true });
      for (let b; (b = next()); ) await f.write(b);
      await f.finish();
    };
  } else if (candidate === 'hyparquet') {
    const { ParquetWriter, fileWriter } = await import('hyparquet-writer');
    run = async () => {
      // converted_type UINT_8: with logical_type INTEGER(8, unsigned) DuckDB refuses the footer
      // (TProtocolException: Invalid data, hyparquet-writer 0.17.0).
      const schema = [
        { name: 'root', num_children: withSymbol ? 7 : 6 },
        ...(withSymbol ? [{ name: 'symbol', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' }] : []),
        { name: 'timestamp', type: 'INT64', repetition_type: 'OPTIONAL', logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MICROS' } },
        ...['lightgbm', 'xgboost', 'random_forest', 'ensemble'].map((name) => ({ name, type: 'DOUBLE', repetition_type: 'REQUIRED' })),
        { name: 'label', type: 'INT32', repetition_type: 'REQUIRED', converted_type: 'UINT_8' },
      ];
      const w = new ParquetWriter({ writer: fileWriter(out), schema, codec: 'UNCOMPRESSED' });
      for (let b; (b = next()); ) {
        const ts = int64(b.timeUs, b.rows);
        await w.write({
          rowGroupSize: BLOCK,
          columnData: [
            ...(withSymbol ? [{ name: 'symbol', data: Array.from(b.symbolIndex, (k) => b.symbols[k]) }] : []),
            { name: 'timestamp', data: Array.from(ts, (v, i) => (b.timeUs[i] !== b.timeUs[i] ? null : v)) },
            { name: 'lightgbm', data: b.lightgbm },
            { name: 'xgboost', data: b.xgboost },
            { name: 'random_forest', data: b.randomForest },
            { name: 'ensemble', data: b.ensemble },
            { name: 'label', data: Int32Array.from(b.label) },
          ],
        });
      }
      await w.finish();
    };
  } else {
    const disk = candidate === 'duckdb-disk';
    run = async () => {
      const db = await DuckDBInstance.create(disk ? `${out}.duckdb` : ':memory:', { threads: '2', ...(disk ? { memory_limit: '256MB' } : {}) });
      const c = await db.connect();
      await c.run("SET TimeZone = 'UTC'");
      await c.run(`CREATE TABLE t (${withSymbol ? 'sym UINTEGER, ' : ''}ts DOUBLE, lightgbm DOUBLE, xgboost DOUBLE, random_forest DOUBLE, ensemble DOUBLE, label UTINYINT)`);
      const a = await c.createAppender('t');
      const types = [...(withSymbol ? [UINTEGER] : []), DOUBLE, DOUBLE, DOUBLE, DOUBLE, DOUBLE, UTINYINT];
      let symbols = [];
      for (let b; (b = next()); ) {
        symbols = b.symbols;
        const cols = [...(withSymbol ? [b.symbolIndex] : []), b.timeUs, b.lightgbm, b.xgboost, b.randomForest, b.ensemble, b.label];
        // DuckDB's chunks hold 2,048 rows; each column is one copy into its vector.
        for (let s = 0; s < b.rows; s += 2048) {
          const n = Math.min(2048, b.rows - s);
          const chunk = DuckDBDataChunk.create(types, n);
          cols.forEach((col, k) => {
            const sub = col.subarray(s, s + n);
            duckdb.copy_data_to_vector(duckdb.data_chunk_get_vector(chunk.chunk, k), 0, sub.buffer, sub.byteOffset, sub.byteLength);
          });
          a.appendDataChunk(chunk);
        }
      }
      a.closeSync();
      const sym = withSymbol ? `([${symbols.map((x) => `'${x}'`).join(',')}])[sym + 1] AS symbol, ` : '';
      await c.run(
        `COPY (SELECT ${sym}CASE WHEN isnan(ts) THEN NULL ELSE make_timestamp(CAST(ts AS BIGINT))::TIMESTAMPTZ END AS timestamp, ` +
          `lightgbm, xgboost, random_forest, ensemble, label FROM t) TO '${out}' (FORMAT parquet, ROW_GROUP_SIZE ${BLOCK}, COMPRESSION uncompressed)`,
      );
      c.closeSync();
      db.closeSync();
      if (disk) rmSync(`${out}.duckdb`, { force: true });
    };
  }
  const importSeconds = (performance.now() - i0) / 1000;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await run();
  const wall = (performance.now() - t0 - genMs) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { candidate, rows, symbols: nsym, importSeconds, seconds: wall, rowsPerSecond: rows / wall, cpuSeconds: (cpu.user + cpu.system) / 1e6 - genMs / 1000, peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024) };
}

async function check(out, rows, nsym) {
  const { at } = blocksOf(rows, nsym);
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  const types = (await c.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet('${out}')`)).getRows().map((x) => `${x[0]} ${x[1]}`);
  const res = await c.stream(`SELECT ${nsym ? 'symbol' : "''"}, epoch_us(timestamp), lightgbm, xgboost, random_forest, ensemble, label FROM read_parquet('${out}')`);
  let i = 0;
  let wrong = 0;
  for (;;) {
    const ch = await res.fetchChunk();
    if (!ch || ch.rowCount === 0) break;
    const cols = Array.from({ length: 7 }, (_, k) => ch.getColumnVector(k));
    for (let j = 0; j < ch.rowCount; j++, i++) {
      const w = at(i);
      const t = cols[1].getItem(j);
      if ((t === null ? null : Number(t)) !== w.time || cols[6].getItem(j) !== w.label || (nsym && cols[0].getItem(j) !== w.symbol)) wrong++;
      for (let m = 0; m < 4; m++) if (cols[2 + m].getItem(j) !== w.p[m]) wrong++;
    }
  }
  const groups = (await c.runAndReadAll(`SELECT count(DISTINCT row_group_id), max(row_group_num_rows) FROM parquet_metadata('${out}')`)).getRows()[0];
  c.closeSync();
  db.closeSync();
  return { types, rowsRead: i, wrongValues: wrong, rowGroups: Number(groups[0]), largestRowGroup: Number(groups[1]), mib: statSync(out).size / 2 ** 20 };
}

if (process.argv[2] === '--run') {
  const [, , , candidate, rows, nsym, out] = process.argv;
  console.log(JSON.stringify(await write(candidate, Number(rows), Number(nsym), out)));
} else {
  const rows = Number(process.argv[2] ?? 1_000_000);
  const nsym = Number(process.argv[3] ?? 0);
  const dir = mkdtempSync(join(tmpdir(), 'pe-parquet-writers-'));
  console.log(`| ${rows.toLocaleString('en')} rows${nsym ? `, ${nsym} symbols` : ''} | rows/s | CPU s | peak RSS MiB | MiB | row groups | checked |\n|---|---|---|---|---|---|---|`);
  for (const candidate of CANDIDATES) {
    const out = join(dir, `${candidate}.parquet`);
    const r = spawnSync(process.execPath, [import.meta.filename, '--run', candidate, String(rows), String(nsym), out], { encoding: 'utf8' });
    if (r.status !== 0) {
      console.log(`| ${candidate} | failed: ${(r.stderr.trim().split('\n').find((l) => /Error/.test(l)) ?? r.stderr).slice(0, 120)} | | | | | |`);
      continue;
    }
    const m = JSON.parse(r.stdout);
    const c = await check(out, rows, nsym);
    const ok = c.rowsRead === rows && c.wrongValues === 0 && c.types.includes('timestamp TIMESTAMP WITH TIME ZONE') && c.types.includes('label UTINYINT');
    console.log(
      `| ${candidate} | ${Math.round(m.rowsPerSecond).toLocaleString('en')} | ${m.cpuSeconds.toFixed(2)} | ${m.peakRssMiB} | ${c.mib.toFixed(1)} | ${c.rowGroups} (≤ ${c.largestRowGroup}) | ${ok ? 'every value' : `${c.wrongValues} wrong of ${c.rowsRead} rows; ${c.types.join(', ')}`} |`,
    );
    rmSync(out, { force: true });
  }
  rmSync(dir, { recursive: true, force: true });
}
