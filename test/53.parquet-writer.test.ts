// The package's streaming Parquet writer, read back by DuckDB: every value of every type (nullable
// timestamps, doubles, the label, dictionary-encoded symbols in runs and bit-packed), several row
// groups, an empty file, and the footer's types and statistics.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, expect, it } from 'vitest';
import { ParquetFile } from '../dist/pipeline/parquet.js';
import { scoreColumns } from '../dist/pipeline/parquet-writer.js';

const work = mkdtempSync(join(tmpdir(), 'pe-parquet-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function query(sql: string): Promise<unknown[][]> {
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  try {
    return (await c.runAndReadAll(sql)).getRows() as unknown[][];
  } finally {
    c.closeSync();
    db.closeSync();
  }
}

let seed = 12345;
const rnd = () => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648;
};

it('every value round-trips through DuckDB, over several row groups', async () => {
  // 700 symbols (an index width of 10 bits), names of 1 to 40 bytes, some not ASCII.
  const names = Array.from({ length: 700 }, (_, i) => (i % 3 === 0 ? `SYM${i}` : i % 3 === 1 ? `Ω-${'x'.repeat(i % 37)}-${i}` : `${i}/EXCHANGE:PAIR"q"`));
  const path = join(work, 'all.parquet');
  const f = new ParquetFile(path, scoreColumns(true), { note: 'kept' });
  const want: unknown[][] = [];
  for (const rows of [1, 7, 8, 9, 1000, 65_536, 3]) {
    const symbol = new Uint32Array(rows);
    const timeUs = new Float64Array(rows);
    const p = Array.from({ length: 4 }, () => new Float64Array(rows));
    const label = new Uint8Array(rows);
    for (let i = 0; i < rows; i++) {
      // Runs of one symbol (RLE) and single rows (bit-packed), in turn.
      symbol[i] = Math.floor(i / 100) % 2 === 0 ? Math.floor(i / 100) % names.length : Math.floor(rnd() * names.length);
      timeUs[i] = rnd() < 0.05 ? Number.NaN : Math.round((rnd() - 0.3) * 4e15);
      for (const a of p) a[i] = rnd() < 0.01 ? -0 : rnd();
      label[i] = rnd() < 0.5 ? 1 : 0;
      want.push([names[symbol[i] as number], Number.isNaN(timeUs[i]) ? null : timeUs[i], ...p.map((a) => a[i]), label[i]]);
    }
    await f.writeRowGroup(rows, [symbol, timeUs, ...p, label], names);
  }
  await f.finish();
  const got = await query(
    `SELECT symbol, epoch_us(timestamp), lightgbm, xgboost, random_forest, ensemble, label FROM read_parquet('${path}')`,
  );
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const g = (got[i] as unknown[]).map((v) => (typeof v === 'bigint' ? Number(v) : v));
    if (!g.every((v, k) => Object.is(v, (want[i] as unknown[])[k]))) throw new Error(`row ${i}: got ${JSON.stringify(g)}, want ${JSON.stringify(want[i])}`);
  }
  const types = await query(`SELECT name, type FROM parquet_schema('${path}') WHERE name <> 'schema'`);
  expect(types.map((r) => r[1])).toEqual(['BYTE_ARRAY', 'INT64', 'DOUBLE', 'DOUBLE', 'DOUBLE', 'DOUBLE', 'INT32']);
  const d = Object.fromEntries((await query(`DESCRIBE SELECT * FROM read_parquet('${path}')`)).map((r) => [r[0], r[1]]));
  expect(d).toEqual({ symbol: 'VARCHAR', timestamp: 'TIMESTAMP WITH TIME ZONE', lightgbm: 'DOUBLE', xgboost: 'DOUBLE', random_forest: 'DOUBLE', ensemble: 'DOUBLE', label: 'UTINYINT' });
  // Statistics a reader can prune with: the timestamp's range and null count per row group.
  const stats = await query(`SELECT row_group_id, stats_null_count, stats_min, stats_max FROM parquet_metadata('${path}') WHERE path_in_schema = 'timestamp' ORDER BY 1`);
  expect(stats.length).toBe(7);
  const first = want.slice(0, 1)[0] as unknown[];
  expect(stats[0]?.[1]).toBe(first[1] === null ? 1n : 0n);
  const kv = await query(`SELECT decode(key), decode(value) FROM parquet_kv_metadata('${path}')`);
  expect(kv).toEqual([['note', 'kept']]);
});

it('a file with no row (all warm-up) is a valid empty table', async () => {
  const path = join(work, 'empty.parquet');
  const f = new ParquetFile(path, scoreColumns(false));
  await f.writeRowGroup(0, []);
  await f.finish();
  expect(await query(`SELECT count(*) FROM read_parquet('${path}')`)).toEqual([[0n]]);
  expect((await query(`DESCRIBE SELECT * FROM read_parquet('${path}')`)).map((r) => r[0])).toEqual(['timestamp', 'lightgbm', 'xgboost', 'random_forest', 'ensemble', 'label']);
});

it('an all-null timestamp column (an input without times) reads as NULLs', async () => {
  const path = join(work, 'no-time.parquet');
  const f = new ParquetFile(path, scoreColumns(false));
  const n = 20;
  const nan = new Float64Array(n).fill(Number.NaN);
  const p = Float64Array.from({ length: n }, (_, i) => i / n);
  await f.writeRowGroup(n, [nan, p, p, p, p, new Uint8Array(n)]);
  await f.finish();
  expect(await query(`SELECT count(*), count(timestamp), max(ensemble) FROM read_parquet('${path}')`)).toEqual([[20n, 0n, 0.95]]);
});
