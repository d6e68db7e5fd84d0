// The 12 technical features from candles against tools/features.py (fixtures:
// tools/make_feature_fixtures.py): batch, push and chunked streams give the same bits, the
// features score like data/sample_features.csv, and bad candles get errors that name them.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  EnsembleError,
  FEATURE_NAMES,
  InvalidInputError,
  ProductionEnsemble,
  TechnicalFeatures,
  WARMUP_BARS,
  computeFeatures,
  type CandleColumns,
} from '../dist/index.js';
import { expectClose, fixtures, productionDir, readF64, readJson, root } from './helpers.js';

const F = 12;
const dir = join(fixtures, 'features');
interface Meta {
  feature_names: string[];
  warmup: number;
  reference: { rows: number; scored_rows: number };
  edge: { rows: number };
}
const meta = readJson<Meta>(join(dir, 'reference.json'));

interface Columns {
  open: Float64Array;
  high: Float64Array;
  low: Float64Array;
  close: Float64Array;
  volume: Float64Array;
}

/** A CSV of numbers after a first text column: header names + one Float64Array per column. */
function readCsv(path: string): { names: string[]; cols: Float64Array[]; rows: number } {
  const lines = readFileSync(path, 'utf8').trim().split('\n');
  const names = lines[0]!.split(',').slice(1);
  const rows = lines.length - 1;
  const cols = names.map(() => new Float64Array(rows));
  for (let r = 0; r < rows; r++) {
    const cells = lines[r + 1]!.split(',');
    for (let c = 0; c < names.length; c++) cols[c]![r] = Number(cells[c + 1]);
  }
  return { names, cols, rows };
}

function history(): Columns {
  const { names, cols } = readCsv(join(root, 'data', 'sample_history.csv'));
  expect(names).toEqual(['open', 'high', 'low', 'close', 'volume']);
  const [open, high, low, close, volume] = cols as [Float64Array, Float64Array, Float64Array, Float64Array, Float64Array];
  return { open, high, low, close, volume };
}

function edge(): Columns {
  const flat = readF64(join(dir, 'edge.candles.f64'));
  const n = flat.length / 5;
  const col = (k: number) => Float64Array.from({ length: n }, (_, i) => flat[i * 5 + k]!);
  return { open: col(0), high: col(1), low: col(2), close: col(3), volume: col(4) };
}

function slice(c: Columns, begin: number, end?: number): Columns {
  return {
    open: c.open.subarray(begin, end),
    high: c.high.subarray(begin, end),
    low: c.low.subarray(begin, end),
    close: c.close.subarray(begin, end),
    volume: c.volume.subarray(begin, end),
  };
}

function candle(c: Columns, i: number) {
  return { open: c.open[i]!, high: c.high[i]!, low: c.low[i]!, close: c.close[i]!, volume: c.volume[i]! };
}

/**
 * docs/features.md's rule: |a − b| <= 1e-9 · max(|b|, scale), scale = close for macd and
 * macd_signal, 1 for returns_1, bb_position and zscore, 0 (pure relative) otherwise; NaN exactly
 * where the reference has NaN. Throws naming the worst cell.
 */
function expectFeaturesMatch(got: Float64Array, ref: Float64Array, label: string): void {
  expect(got.length, `${label}: length`).toBe(ref.length);
  let worst = 0;
  let where = -1;
  for (let i = 0; i < ref.length; i++) {
    const a = got[i]!;
    const b = ref[i]!;
    if (Number.isNaN(b)) {
      if (!Number.isNaN(a)) throw new Error(`${label}: row ${Math.floor(i / F)} ${FEATURE_NAMES[i % F]} is ${a}, the reference has NaN`);
      continue;
    }
    const f = i % F;
    const scale = f === 4 || f === 5 ? Math.abs(ref[i - f]!) : f === 2 || f === 7 || f === 10 ? 1 : 0;
    const denom = Math.max(Math.abs(b), scale);
    const d = Math.abs(a - b);
    const rel = d === 0 ? 0 : denom > 0 ? d / denom : Number.POSITIVE_INFINITY;
    if (!(rel <= worst)) {
      worst = Number.isNaN(rel) ? Number.POSITIVE_INFINITY : rel;
      where = i;
    }
  }
  if (worst > 1e-9) {
    throw new Error(
      `${label}: scaled difference ${worst} > 1e-9 at row ${Math.floor(where / F)}, ${FEATURE_NAMES[where % F]} ` +
        `(got ${got[where]}, reference ${ref[where]})`,
    );
  }
}

/** Same bits, NaN included. */
function expectSameBits(a: Float64Array, b: Float64Array, label: string): void {
  expect(a.length, `${label}: length`).toBe(b.length);
  const x = Buffer.from(a.buffer, a.byteOffset, a.byteLength);
  const y = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  if (!x.equals(y)) {
    const i = a.findIndex((v, k) => !Object.is(v, b[k]));
    throw new Error(`${label}: differs at row ${Math.floor(i / F)} ${FEATURE_NAMES[i % F]}: ${a[i]} vs ${b[i]}`);
  }
}

const h = history();
const ref = readF64(join(dir, 'reference.f64'));

describe('against tools/features.py', () => {
  it('names and warm-up are the reference\'s and the models\'', async () => {
    expect(FEATURE_NAMES).toEqual(meta.feature_names);
    expect(WARMUP_BARS).toBe(meta.warmup);
    expect(new TechnicalFeatures().warmupBars).toBe(49);
    const model = await ProductionEnsemble.load(productionDir);
    expect(model.featureNames).toEqual(FEATURE_NAMES);
    model.close();
  });

  it("sample history, warm-up 'nan': every row, NaN warm-up rows", () => {
    const r = computeFeatures(h, { warmup: 'nan' });
    expect(r.rows).toBe(meta.reference.rows);
    expect(r.warmup).toBe(49);
    expectFeaturesMatch(r.features, ref, 'sample history');
    expect(r.features.subarray(0, 49 * F).every(Number.isNaN)).toBe(true);
  });

  it("sample history, warm-up 'skip' (default): the scored rows", () => {
    const r = computeFeatures(h);
    expect(r.rows).toBe(meta.reference.scored_rows);
    expect(r.warmup).toBe(49);
    expectFeaturesMatch(r.features, ref.subarray(49 * F), 'sample history, skip');
  });

  it('edge series: flat windows, zero volume, inconsistent candles', () => {
    const r = computeFeatures(edge(), { warmup: 'nan' });
    expect(r.rows).toBe(meta.edge.rows);
    expectFeaturesMatch(r.features, readF64(join(dir, 'edge.f64')), 'edge series');
    expect(r.features[110 * F + 7]).toBe(0.5); // a flat 20-bar window
    expect(r.features[80 * F + 11]).toBe(1); // 20 bars of zero volume
    expect(r.features[50 * F + 3]).toBe(50); // flat from the start: no gain, no loss
  });
});

describe('push, batch and chunks agree bit for bit', () => {
  const batch = computeFeatures(h).features;

  it('pushing every candle', () => {
    const tf = new TechnicalFeatures();
    const rows = new Float64Array(batch.length);
    let r = 0;
    for (let i = 0; i < h.close.length; i++) {
      const row = tf.push(candle(h, i));
      expect(row === null, `candle ${i}`).toBe(i < 49);
      if (row) rows.set(row, r++ * F);
    }
    expect(tf.bars).toBe(h.close.length);
    expectSameBits(rows, batch, 'push vs batch');
  });

  it('push into a caller-owned row', () => {
    const tf = new TechnicalFeatures();
    const out = new Float64Array(12);
    for (let i = 0; i < 49; i++) expect(tf.push(candle(h, i), out)).toBeNull();
    expect(tf.push(candle(h, 49), out)).toBe(out);
    expectSameBits(out, batch.subarray(0, 12), 'first scored row');
  });

  it("pushing with warm-up 'nan' returns NaN rows first", () => {
    const tf = new TechnicalFeatures({ warmup: 'nan' });
    for (let i = 0; i < 60; i++) {
      const row = tf.push(candle(h, i))!;
      expect(row).toHaveLength(12);
      expect(row.every(Number.isNaN)).toBe(i < 49);
    }
  });

  it.each([
    ['skip', [1, 7, 13, 48, 49, 50, 3, 997, 31]],
    ['nan', [5, 44, 1, 2, 611, 17]],
  ] as const)("chunks of odd sizes, warm-up '%s'", (warmup, sizes) => {
    const tf = new TechnicalFeatures({ warmup });
    const parts: Float64Array[] = [];
    let begin = 0;
    let k = 0;
    let warm = 0;
    while (begin < h.close.length) {
      const end = Math.min(h.close.length, begin + sizes[k++ % sizes.length]!);
      const r = tf.pushColumns(slice(h, begin, end));
      expect(r.features.length).toBe(r.rows * F);
      warm += r.warmup;
      parts.push(r.features);
      begin = end;
    }
    expect(warm).toBe(49);
    const joined = new Float64Array(parts.reduce((n, p) => n + p.length, 0));
    parts.reduce((at, p) => (joined.set(p, at), at + p.length), 0);
    expectSameBits(joined, computeFeatures(h, { warmup }).features, `chunks (${warmup})`);
  });

  it('plain number arrays are accepted (copied)', () => {
    const small = slice(h, 0, 300);
    const arrays: CandleColumns = {
      open: Array.from(small.open),
      high: Array.from(small.high),
      low: Array.from(small.low),
      close: Array.from(small.close),
      volume: Array.from(small.volume),
    };
    expectSameBits(computeFeatures(arrays).features, computeFeatures(small).features, 'number[] vs Float64Array');
  });

  it('reset starts a new warm-up', () => {
    const tf = new TechnicalFeatures();
    const first = tf.pushColumns(slice(h, 0, 200)).features;
    tf.reset();
    expect(tf.bars).toBe(0);
    expect(tf.pushColumns(slice(h, 0, 40)).rows).toBe(0);
    const again = tf.pushColumns(slice(h, 40, 200));
    expect(again.warmup).toBe(9);
    expectSameBits(again.features, first, 'after reset');
  });
});

describe('features -> ProductionEnsemble', () => {
  let model: ProductionEnsemble;
  beforeAll(async () => {
    model = await ProductionEnsemble.load(productionDir);
  });
  afterAll(() => model.close());

  it('scores like the rows of data/sample_features.csv', () => {
    const csv = readCsv(join(root, 'data', 'sample_features.csv'));
    expect(csv.names).toEqual(FEATURE_NAMES);
    const fromCsv = new Float64Array(csv.rows * F);
    for (let r = 0; r < csv.rows; r++) for (let c = 0; c < F; c++) fromCsv[r * F + c] = csv.cols[c]![r]!;
    const { features, rows } = computeFeatures(h);
    expect(rows).toBe(csv.rows);
    expectFeaturesMatch(features, fromCsv, 'features vs sample_features.csv');
    const p = model.predictProba(features);
    expect(p).toHaveLength(rows);
    expectClose(p, model.predictProba(fromCsv), 'P(up) from computed features vs from the CSV');
    // The single-row path with a pushed row gives the same probability.
    const tf = new TechnicalFeatures();
    let last: Float64Array | null = null;
    for (let i = 0; i < 500; i++) last = tf.push(candle(h, i));
    expect(Math.abs(model.predictOne(last!) - p[500 - 49 - 1]!)).toBeLessThanOrEqual(1e-6);
  });
});

describe('errors', () => {
  it('a NaN candle names its index; the state is unchanged', () => {
    const tf = new TechnicalFeatures();
    for (let i = 0; i < 60; i++) tf.push(candle(h, i));
    const bad = { ...candle(h, 60), close: Number.NaN };
    expect(() => tf.push(bad)).toThrow(InvalidInputError);
    expect(() => tf.push(bad)).toThrow('candle 60: close is NaN');
    expect(() => tf.push({ ...candle(h, 60), volume: Number.POSITIVE_INFINITY })).toThrow('candle 60: volume is Infinity');
    try {
      tf.push(bad);
    } catch (e) {
      expect((e as EnsembleError).code).toBe('ERR_NON_FINITE_INPUT');
    }
    expect(tf.bars).toBe(60);
    // Skipping the refused candle: the same as a series without it.
    const rest = tf.pushColumns(slice(h, 61, 200)).features;
    const tf2 = new TechnicalFeatures();
    tf2.pushColumns(slice(h, 0, 60));
    expectSameBits(rest, tf2.pushColumns(slice(h, 61, 200)).features, 'after a refused candle');
  });

  it('a NaN in a batch names the candle; the batch changes nothing', () => {
    const bad = slice(h, 0, 500);
    const close = Float64Array.from(bad.close);
    close[123] = Number.NaN;
    expect(() => computeFeatures({ ...bad, close })).toThrow('candle 123: close is NaN');
    const tf = new TechnicalFeatures();
    tf.pushColumns(slice(h, 0, 100));
    expect(() => tf.pushColumns({ ...slice(bad, 100), close: close.subarray(100) })).toThrow(
      'candle 123 (item 23 of this batch): close is NaN',
    );
    expect(tf.bars).toBe(100);
  });

  it('out-of-range prices and volumes', () => {
    const tf = new TechnicalFeatures();
    expect(() => tf.push({ ...candle(h, 0), low: -1 })).toThrow('candle 0: low is -1 (prices must be > 0)');
    expect(() => tf.push({ ...candle(h, 0), volume: -2 })).toThrow('candle 0: volume is -2 (the volume must be >= 0)');
    try {
      tf.push({ ...candle(h, 0), open: 0 });
    } catch (e) {
      expect(e).toBeInstanceOf(EnsembleError);
      expect((e as EnsembleError).code).toBe('ERR_INVALID_ARGUMENT');
    }
    expect(tf.push({ ...candle(h, 0), volume: 0 })).toBeNull(); // zero volume is fine
  });

  it('wrong array lengths and types', () => {
    const c = slice(h, 0, 100);
    expect(() => computeFeatures({ ...c, volume: c.volume.subarray(0, 99) })).toThrow(RangeError);
    expect(() => computeFeatures({ ...c, volume: c.volume.subarray(0, 99) })).toThrow(
      'the candle columns differ in length: open has 100 values, volume has 99',
    );
    expect(() => computeFeatures({ ...c, high: undefined } as unknown as CandleColumns)).toThrow(
      'column high must be a Float64Array or an array of numbers',
    );
    expect(() => computeFeatures(c, { warmup: 'drop' as 'skip' })).toThrow("warmup must be 'skip' or 'nan'");
    expect(() => new TechnicalFeatures().push({ ...candle(h, 0), close: '1' as unknown as number })).toThrow(
      'candle.close must be a number',
    );
  });
});
