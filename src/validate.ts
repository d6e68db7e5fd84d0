/**
 * Normalises user input into what the native layer reads: a row-major Float32Array or
 * Float64Array plus a row count. Misuse is reported here, before native code is touched.
 * @internal
 */
import { FeatureMismatchError } from './errors.js';
import type { FeatureName } from './features.js';

/**
 * A value that can stand in a row: a number, or null/undefined for a missing value (NaN).
 * @example
 * const row: Cell[] = [101.2, null, 0.3]; // null: missing
 */
export type Cell = number | null | undefined;

/**
 * A row as an object keyed by feature name: by default the 12 production features, every one
 * required (a missing or unknown name is also `ERR_FEATURE_MISMATCH` at run time). Models with
 * other features take `FeatureRecord<TheirNames>`, or `FeatureRecord<string>` for any names.
 * @example
 * const row: FeatureRecord = { close: 101.2, volume: 5400, returns_1: 0.0012, rsi_14: 55.1, macd: 0.21,
 *   macd_signal: 0.18, atr_14: 1.31, bb_position: 0.62, ema_20: 100.9, ema_50: 100.1, zscore: 0.41, volume_ratio: 1.07 };
 */
export type FeatureRecord<Name extends string = FeatureName> = { readonly [K in Name]: Cell };

/**
 * Everything a `predict*` method accepts:
 * - `Float32Array` / `Float64Array`: row-major, `rows × nFeatures` values, read in place (fastest);
 * - `number[][]`: one array per row (converted once; slower);
 * - `FeatureRecord[]`: one object per row keyed by feature name (needs the model's feature names).
 * @example
 * const x: MatrixInput = new Float64Array(12 * 100); // 100 rows of the 12 features
 */
export type MatrixInput<Name extends string = FeatureName> =
  | Float32Array
  | Float64Array
  | readonly (readonly Cell[])[]
  | readonly FeatureRecord<Name>[];

/**
 * One row for `predictOne`: an array of `nFeatures` values or a record keyed by feature name.
 * @example
 * const row: RowInput = Float64Array.from(latestFeatures);
 */
export type RowInput<Name extends string = FeatureName> = Float32Array | Float64Array | readonly Cell[] | FeatureRecord<Name>;

/** A normalised matrix. */
export interface Matrix {
  data: Float32Array | Float64Array;
  rows: number;
}

function cellValue(v: unknown, row: number, col: number, names: readonly string[] | undefined): number {
  if (typeof v === 'number') return v;
  if (v === null || v === undefined) return Number.NaN;
  const label = names?.[col] ? `feature ${col} (${names[col]})` : `feature ${col}`;
  throw new TypeError(`row ${row}, ${label}: expected a number, got ${typeof v}`);
}

function fromArrays(x: readonly (readonly Cell[])[], nFeatures: number, names: readonly string[] | undefined): Matrix {
  const rows = x.length;
  const data = new Float64Array(rows * nFeatures);
  for (let r = 0; r < rows; r++) {
    const row = x[r];
    if (!Array.isArray(row)) throw new TypeError(`row ${r}: expected an array of ${nFeatures} numbers`);
    if (row.length !== nFeatures) {
      throw new FeatureMismatchError(`row ${r} has ${row.length} values: expected ${nFeatures} features, got ${row.length}`);
    }
    const base = r * nFeatures;
    for (let c = 0; c < nFeatures; c++) data[base + c] = cellValue(row[c], r, c, names);
  }
  return { data, rows };
}

const indexCache = new WeakMap<readonly string[], Map<string, number>>();

/** Column of each feature name, built once per names array (models keep theirs). */
function recordIndex(names: readonly string[] | undefined): Map<string, number> {
  if (!names || names.length === 0) {
    throw new TypeError('rows given as objects need feature names, and this model has none: pass arrays instead');
  }
  let index = indexCache.get(names);
  if (!index) {
    index = new Map(names.map((n, i) => [n, i]));
    indexCache.set(names, index);
  }
  return index;
}

function writeRecord(
  rec: FeatureRecord<string>,
  r: number,
  index: Map<string, number>,
  names: readonly string[],
  out: Float64Array,
  base: number,
): void {
  if (rec === null || typeof rec !== 'object') throw new TypeError(`row ${r}: expected an object keyed by feature name`);
  let seen = 0;
  for (const key of Object.keys(rec)) {
    const c = index.get(key);
    if (c === undefined) {
      throw new FeatureMismatchError(`row ${r}: unknown feature '${key}' (expected: ${names.join(', ')})`);
    }
    out[base + c] = cellValue(rec[key], r, c, names);
    seen++;
  }
  if (seen !== names.length) {
    const missing = names.filter((n) => !Object.hasOwn(rec, n));
    throw new FeatureMismatchError(`row ${r}: missing feature${missing.length > 1 ? 's' : ''} ${missing.map((m) => `'${m}'`).join(', ')}`);
  }
}

/** Normalises a batch. Empty input gives zero rows. */
export function toMatrix(x: MatrixInput<string>, nFeatures: number, names?: readonly string[]): Matrix {
  if (x instanceof Float64Array || x instanceof Float32Array) {
    if (x.length % nFeatures !== 0) {
      throw new FeatureMismatchError(
        `input has ${x.length} values, which is not a whole number of rows of ${nFeatures} features` +
          (x.length < nFeatures ? `: expected ${nFeatures} features, got ${x.length}` : ''),
      );
    }
    return { data: x, rows: x.length / nFeatures };
  }
  if (!Array.isArray(x)) {
    throw new TypeError('input must be a Float32Array, a Float64Array, an array of rows (number[][]) or an array of records');
  }
  if (x.length === 0) return { data: new Float64Array(0), rows: 0 };
  const first = x[0];
  if (Array.isArray(first)) return fromArrays(x as readonly (readonly Cell[])[], nFeatures, names);
  if (typeof first === 'number') {
    throw new TypeError('input is a flat number[]: pass an array of rows (number[][]), or use predictOne for a single row');
  }
  const index = recordIndex(names);
  const rows = x.length;
  const data = new Float64Array(rows * nFeatures);
  for (let r = 0; r < rows; r++) writeRecord((x as readonly FeatureRecord<string>[])[r] as FeatureRecord<string>, r, index, names as string[], data, r * nFeatures);
  return { data, rows };
}

/**
 * Normalises one row into `scratch` (reused between calls, so `predictOne` allocates nothing)
 * or returns the caller's typed array as is when it already has the right length.
 */
export function toRow(row: RowInput<string>, nFeatures: number, names: readonly string[] | undefined, scratch: Float64Array): Float32Array | Float64Array {
  if (row instanceof Float64Array || row instanceof Float32Array) {
    if (row.length !== nFeatures) {
      throw new FeatureMismatchError(`expected ${nFeatures} features, got ${row.length}`);
    }
    return row;
  }
  if (Array.isArray(row)) {
    if (row.length !== nFeatures) {
      throw new FeatureMismatchError(`expected ${nFeatures} features, got ${row.length}`);
    }
    for (let c = 0; c < nFeatures; c++) scratch[c] = cellValue(row[c], 0, c, names);
    return scratch;
  }
  if (row !== null && typeof row === 'object') {
    writeRecord(row as FeatureRecord<string>, 0, recordIndex(names), names as string[], scratch, 0);
    return scratch;
  }
  throw new TypeError('a row must be a Float32Array, a Float64Array, an array of numbers or a record keyed by feature name');
}
