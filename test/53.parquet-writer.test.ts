// The Parquet writer (parquet-wasm over Arrow record batches), read back by DuckDB: every value of
// every type (nullable timestamps, doubles, the label, dictionary symbols that grow between
// batches), one row group per write, the footer's types, statistics and key-value metadata, an
// empty file, and a failing disk reported instead of lost.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, expect, it } from 'vitest';
import { ParquetStream, type RowGroup } from '../dist/pipeline/parquet-writer.js';

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

function group(rows: number, symbols: readonly string[]): { g: RowGroup; want: unknown[][] } {
  const symbolIndex = new Uint32Array(rows);
  const timeUs = new Float64Array(rows);
  const p = Array.from({ length: 4 }, () => new Float64Array(rows));
  const label = new Uint8Array(rows);
  const want: unknown[][] = [];
  for (let i = 0; i < rows; i++) {
    symbolIndex[i] = Math.floor(i / 100) % 2 === 0 ? Math.floor(i / 100) % symbols.length : Math.floor(rnd() * symbols.length);
    // Times before 1970 and beyond 2^32 µs words, and missing ones.
    timeUs[i] = rnd() < 0.05 ? Number.NaN : Math.round((rnd() - 0.3) * 4e15);
    for (const a of p) a[i] = rnd() < 0.01 ? -0 : rnd();
    label[i] = rnd() < 0.5 ? 1 : 0;
    want.push([symbols[symbolIndex[i] as number], Number.isNaN(timeUs[i]) ? null : timeUs[i], ...p.map((a) => a[i]), label[i]]);
  }
  const [lightgbm, xgboost, randomForest, ensemble] = p as [Float64Array, Float64Array, Float64Array, Float64Array];
  return { g: { rows, timeUs, lightgbm, xgboost, randomForest, ensemble, label, symbolIndex, symbols }, want };
}

it('every value round-trips through DuckDB, one row group per write, with types, statistics and metadata', async () => {
  // 700 symbols, names of 1 to 40 bytes, some not ASCII; the dictionary grows between writes.
  const names = Array.from({ length: 700 }, (_, i) => (i % 3 === 0 ? `SYM${i}` : i % 3 === 1 ? `Ω-${'x'.repeat(i % 37)}-${i}` : `${i}/EXCHANGE:PAIR"q"`));
  const path = join(work, 'all.parquet');
  writeFileSync(path, '');
  const f = await ParquetStream.open(path, { withSymbol: true, keyValues: { note: 'kept' }, create: false });
  const want: unknown[][] = [];
  const sizes = [1, 7, 8, 9, 1000, 65_536, 3];
  for (const [k, rows] of sizes.entries()) {
    const made = group(rows, names.slice(0, 100 * (k + 1)));
    await f.write(made.g);
    want.push(...made.want);
  }
  await f.finish();
  const got = await query(`SELECT symbol, epoch_us(timestamp), lightgbm, xgboost, random_forest, ensemble, label FROM read_parquet('${path}')`);
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const g = (got[i] as unknown[]).map((v) => (typeof v === 'bigint' ? Number(v) : v));
    if (!g.every((v, k) => Object.is(v, (want[i] as unknown[])[k]))) throw new Error(`row ${i}: got ${JSON.stringify(g)}, want ${JSON.stringify(want[i])}`);
  }
  const d = Object.fromEntries((await query(`DESCRIBE SELECT * FROM read_parquet('${path}')`)).map((r) => [r[0], r[1]]));
  expect(d).toEqual({ symbol: 'VARCHAR', timestamp: 'TIMESTAMP WITH TIME ZONE', lightgbm: 'DOUBLE', xgboost: 'DOUBLE', random_forest: 'DOUBLE', ensemble: 'DOUBLE', label: 'UTINYINT' });
  const groups = await query(`SELECT row_group_id, any_value(row_group_num_rows) FROM parquet_metadata('${path}') GROUP BY 1 ORDER BY 1`);
  expect(groups.map((r) => Number(r[1]))).toEqual(sizes);
  // Statistics a reader can prune with: the timestamp's range and null count per row group.
  const stats = await query(`SELECT stats_null_count, stats_min_value, stats_max_value FROM parquet_metadata('${path}') WHERE path_in_schema = 'timestamp' ORDER BY row_group_id`);
  expect(stats.length).toBe(sizes.length);
  const big = want.slice(1025, 1025 + 65_536).map((r) => r[1] as number | null);
  const times = big.filter((t): t is number => t !== null);
  expect(Number(stats[5]?.[0])).toBe(big.length - times.length);
  expect(stats[5]?.[1]).not.toBeNull();
  const kv = await query(`SELECT decode(key), decode(value) FROM parquet_kv_metadata('${path}') WHERE decode(key) = 'note'`);
  expect(kv).toEqual([['note', 'kept']]);
});

it('a file with no row (all warm-up) is a valid empty table with the columns', async () => {
  const path = join(work, 'empty.parquet');
  const f = await ParquetStream.open(path, { withSymbol: false, keyValues: {}, create: true });
  await f.finish();
  expect(await query(`SELECT count(*) FROM read_parquet('${path}')`)).toEqual([[0n]]);
  expect((await query(`DESCRIBE SELECT * FROM read_parquet('${path}')`)).map((r) => `${r[0]} ${r[1]}`)).toEqual([
    'timestamp TIMESTAMP WITH TIME ZONE',
    'lightgbm DOUBLE',
    'xgboost DOUBLE',
    'random_forest DOUBLE',
    'ensemble DOUBLE',
    'label UTINYINT',
  ]);
});

it('an all-null timestamp column (an input without times) reads as NULLs', async () => {
  const path = join(work, 'no-time.parquet');
  const f = await ParquetStream.open(path, { withSymbol: false, keyValues: {}, create: true });
  const n = 20;
  const p = Float64Array.from({ length: n }, (_, i) => i / n);
  await f.write({ rows: n, timeUs: new Float64Array(n).fill(Number.NaN), lightgbm: p, xgboost: p, randomForest: p, ensemble: p, label: new Uint8Array(n) });
  await f.finish();
  expect(await query(`SELECT count(*), count(timestamp), max(ensemble) FROM read_parquet('${path}')`)).toEqual([[20n, 0n, 0.95]]);
});

it('a failed write of the file is an error, not a silently short file', async (ctx) => {
  // /dev/full refuses every write with ENOSPC (the encoder itself ignores errors of its output).
  if (!existsSync('/dev/full')) return ctx.skip();
  const f = await ParquetStream.open('/dev/full', { withSymbol: false, keyValues: {}, create: false });
  const { g } = group(65_536, ['X']);
  const run = async () => {
    for (let k = 0; k < 20; k++) await f.write(g);
    await f.finish();
  };
  await expect(run()).rejects.toMatchObject({ code: 'ENOSPC' });
});

it('a new file is never made over an existing one', async () => {
  const path = join(work, 'exists.parquet');
  writeFileSync(path, 'keep');
  await expect(ParquetStream.open(path, { withSymbol: false, keyValues: {}, create: true })).rejects.toMatchObject({ code: 'EEXIST' });
});
