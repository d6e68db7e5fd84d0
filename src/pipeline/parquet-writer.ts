/**
 * Scored batches into one Parquet file: each batch (up to a block of 65,536 rows) is one row
 * group, written from the batch's own arrays, so nothing is buffered or copied.
 * @internal
 */
import type { BatchWriter, ScoredBatch } from './batch.js';
import { type ColumnData, type ColumnSpec, ParquetFile } from './parquet.js';

/** The output columns (`symbol` first when the input had one). */
export function scoreColumns(withSymbol: boolean): ColumnSpec[] {
  return [
    ...(withSymbol ? [{ name: 'symbol', kind: 'symbol' } as const] : []),
    { name: 'timestamp', kind: 'timestamp' },
    { name: 'lightgbm', kind: 'double' },
    { name: 'xgboost', kind: 'double' },
    { name: 'random_forest', kind: 'double' },
    { name: 'ensemble', kind: 'double' },
    { name: 'label', kind: 'label' },
  ];
}

/** The batch's columns in {@link scoreColumns} order. */
export function batchColumns(b: ScoredBatch, withSymbol: boolean): ColumnData[] {
  return [...(withSymbol ? [b.symbolIndex] : []), b.timeUs, b.lightgbm, b.xgboost, b.randomForest, b.ensemble, b.label];
}

/** A Parquet file at `path` (appended to: the caller reserved it), complete after finish(). */
export function parquetWriter(path: string, withSymbol: boolean, keyValues: Record<string, string>): BatchWriter {
  const file = new ParquetFile(path, scoreColumns(withSymbol), keyValues);
  let busyMs = 0;
  return {
    get busyMs() {
      return busyMs;
    },
    async write(b) {
      const t0 = performance.now();
      await file.writeRowGroup(b.rows, batchColumns(b, withSymbol), b.symbols);
      busyMs += performance.now() - t0;
    },
    async finish() {
      await file.finish();
    },
    abort() {},
  };
}
