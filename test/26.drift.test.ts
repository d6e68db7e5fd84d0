// Drift detection: the bundled directory's reference, a history whose rsi_14 is shifted on
// purpose at a known row (the event comes after it and within a window, for that feature and not
// the untouched ones), the monitor wired into the ensemble's batch calls, gauges for a metrics
// layer, and directories without (or with a broken) drift_reference.
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DriftEvent, DriftMonitor, MetadataError, ProductionEnsemble } from '../dist/index.js';
import { productionDir, root } from './helpers.js';

// The sample feature rows (the last 10,000 candles of the synthetic history), in time order; the
// first 1,000 left out (the file's indicators start from its own first candle, and RSI's smoothing
// takes hundreds of candles to forget that).
const lines = readFileSync(join(root, 'data', 'sample_features.csv'), 'utf8').trim().split('\n').slice(1001);
const rows = lines.map((l) => l.split(',').slice(1).map(Number));
const RSI = 3;
const STATIONARY = ['returns_1', 'bb_position', 'zscore', 'volume_ratio'];

let ensemble: ProductionEnsemble;
beforeAll(async () => {
  ensemble = await ProductionEnsemble.load();
});
afterAll(() => ensemble?.close());

describe('the drift reference', () => {
  it('the bundled directory records one for the 12 features and the 4 scores', () => {
    const ref = ensemble.driftReference;
    expect(ref?.features.map((h) => h.name)).toEqual(ensemble.featureNames);
    expect(ref?.scores.map((h) => h.name)).toEqual(['lightgbm', 'xgboost', 'random_forest', 'ensemble']);
    expect(ref?.featuresFrom).toMatch(/training rows/);
    for (const h of [...(ref?.features ?? []), ...(ref?.scores ?? [])]) expect(h.counts).toHaveLength(h.edges.length + 1);
  });
});

describe('a history shifted on purpose', () => {
  it('rsi_14 + 30 from row 5000: drift flagged after the shift, within one window, for rsi_14 only', () => {
    const window = 2000;
    const monitor = new DriftMonitor(ensemble.driftReference as never, { window });
    const events: { row: number; e: DriftEvent }[] = [];
    let seen = 0;
    monitor.on('drift', (e) => events.push({ row: seen, e }));
    const shiftAt = 5000;
    for (let start = 0; start < rows.length; start += 250) {
      const batch = rows.slice(start, start + 250).map((r, i) => {
        const row = [...r];
        if (start + i >= shiftAt) row[RSI] = (row[RSI] as number) + 30;
        return row;
      });
      seen = start + batch.length;
      monitor.observe(batch);
    }
    const rsi = events.filter((x) => x.e.column.name === 'rsi_14');
    expect(rsi.length).toBeGreaterThan(0);
    expect(rsi[0]?.e.drifted).toBe(true);
    expect(rsi[0]?.row).toBeGreaterThan(shiftAt);
    expect(rsi[0]?.row).toBeLessThanOrEqual(shiftAt + window);
    expect(rsi[0]?.e.column.psi).toBeGreaterThanOrEqual(0.25);
    for (const name of STATIONARY) expect(events.some((x) => x.e.column.name === name), name).toBe(false);
    const final = monitor.report();
    expect(final.drifted).toContain('rsi_14');
    const stat = final.features.find((s) => s.name === 'rsi_14');
    expect(stat?.ks).toBeGreaterThan(0.5);
  });

  it('the same history unshifted leaves rsi_14 alone', () => {
    const monitor = new DriftMonitor(ensemble.driftReference as never, { window: 2000 });
    const flagged = new Set<string>();
    monitor.on('drift', (e) => flagged.add(e.column.name));
    for (let start = 0; start < rows.length; start += 500) monitor.observe(rows.slice(start, start + 500));
    for (const name of ['rsi_14', ...STATIONARY]) expect(flagged.has(name), name).toBe(false);
  });
});

describe('wired into the ensemble', () => {
  it('batch calls feed it (sync and async), stopDriftMonitor stops it; gauges for every column', async () => {
    const monitor = ensemble.monitorDrift({ window: 1000 });
    expect(ensemble.driftMonitor).toBe(monitor);
    const batch = Float64Array.from(rows.slice(0, 600).flat());
    const p = ensemble.predictProba(batch);
    expect(monitor.report().rows).toBe(600);
    const again = await ensemble.predictProbaAsync(batch);
    expect(Array.from(again)).toEqual(Array.from(p));
    expect(monitor.report().rows).toBe(1000);
    expect(monitor.report().seen).toBe(1200);
    ensemble.predict(batch.subarray(0, 12 * 10));
    await ensemble.predictModelsAsync(batch.subarray(0, 12 * 10));
    expect(monitor.report().seen).toBe(1220);
    ensemble.stopDriftMonitor();
    ensemble.predictProba(batch);
    expect(monitor.report().seen).toBe(1220);
    const gauges = monitor.gauges();
    expect(gauges).toHaveLength(16 * 3);
    expect(gauges.find((g) => g.name === 'drift_psi' && g.column === 'ensemble')?.kind).toBe('score');
  });

  it('an async batch larger than the window: the window sees its last rows as they were at the call', async () => {
    const batch = Float64Array.from(rows.slice(0, 3000).flat());
    const sync = ensemble.monitorDrift({ window: 500, minRows: 100 });
    ensemble.predictProba(batch);
    const want = sync.report();
    const monitor = ensemble.monitorDrift({ window: 500, minRows: 100 });
    const pending = ensemble.predictProbaAsync(batch);
    batch.fill(Number.NaN); // the caller refills its buffer at once
    await pending;
    ensemble.stopDriftMonitor();
    const got = monitor.report();
    expect(got.rows).toBe(500);
    expect(got.seen).toBe(3000);
    expect(got.features).toEqual(want.features);
    expect(got.scores).toEqual(want.scores);
    expect(got.features.every((f) => f.missingShare === 0)).toBe(true);
  });
});

describe('directories without a reference', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pe-drift-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const copy = (meta: (m: Record<string, unknown>) => void) => {
    for (const f of ['lightgbm.txt', 'xgboost.json', 'random_forest.forest']) copyFileSync(join(productionDir, f), join(dir, f));
    const m = JSON.parse(readFileSync(join(productionDir, 'production_model_metadata.json'), 'utf8')) as Record<string, unknown>;
    meta(m);
    writeFileSync(join(dir, 'production_model_metadata.json'), JSON.stringify(m));
  };

  it('load, score; monitorDrift says why it cannot start', async () => {
    copy((m) => {
      delete m.drift_reference;
    });
    const m = await ProductionEnsemble.load(dir);
    try {
      expect(m.driftReference).toBeUndefined();
      expect(m.predictProba([rows[0] as number[]])).toHaveLength(1);
      expect(() => m.monitorDrift()).toThrow(MetadataError);
      expect(() => m.monitorDrift()).toThrow(/has no drift_reference/);
    } finally {
      m.close();
    }
  });

  it('a broken reference is a MetadataError naming the field', async () => {
    copy((m) => {
      const ref = m.drift_reference as { features: Record<string, { edges: number[] }> };
      ref.features.rsi_14.edges.reverse();
    });
    await expect(ProductionEnsemble.load(dir)).rejects.toThrow(
      /drift_reference\.features\.rsi_14\.edges must be finite numbers in strictly increasing order/,
    );
  });
});
