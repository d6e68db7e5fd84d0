// migrate --reference: the training rows given to migrate become the directory's drift reference
// (features from the rows, scores by the migrated models), so the migrated ensemble can monitor
// drift; without it the directory has none and the summary says how to add one.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findPython, migrate } from '../dist/cli/migrate.js';
import { ProductionEnsemble } from '../dist/index.js';
import { fixtures, root } from './helpers.js';

const work = mkdtempSync(join(tmpdir(), 'pe-migrate-ref-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const pkl = join(fixtures, 'migrate', 'production_ensemble.pkl');
const features = join(root, 'data', 'sample_features.csv');

let python = '';
try {
  python = findPython();
} catch (e) {
  console.warn(`skipping the migrate --reference tests: ${(e as Error).message}`);
}

type Histogram = { edges: number[]; counts: number[]; missing: number };
let fromFeatures: Record<string, Histogram> = {};

describe.skipIf(python === '')('with Python', () => {
  it('records the reference rows as drift_reference, and the migrated ensemble monitors drift', async () => {
    const out = join(work, 'with-reference');
    const r = await migrate(pkl, out, { createdAt: '2025-08-20T10:30:00Z', reference: features });
    expect(r.healthy).toBe(true);
    expect(r.notes.join(' ')).not.toMatch(/no drift reference/);
    const meta = JSON.parse(readFileSync(join(out, 'production_model_metadata.json'), 'utf8')) as {
      drift_reference: { features: Record<string, Histogram>; scores: Record<string, unknown>; features_from: string };
    };
    fromFeatures = meta.drift_reference.features;
    const rows = readFileSync(features, 'utf8').trim().split('\n').length - 1;
    const rsi = meta.drift_reference.features.rsi_14;
    expect((rsi?.counts ?? []).reduce((a, b) => a + b, 0) + (rsi?.missing ?? 0)).toBe(rows);
    expect(Object.keys(meta.drift_reference.scores)).toEqual(['lightgbm', 'xgboost', 'random_forest', 'ensemble']);
    expect(meta.drift_reference.features_from).toMatch(/sample_features\.csv: \d+ rows/);
    const model = await ProductionEnsemble.load(out);
    try {
      // A window of all the reference rows, fed the reference rows: the same distribution (a
      // part of them would not do: the price levels trend across the history).
      const monitor = model.monitorDrift({ window: rows });
      const lines = readFileSync(features, 'utf8').trim().split('\n').slice(1);
      model.predictProba(lines.map((l) => l.split(',').slice(1).map(Number)));
      const report = monitor.report();
      expect(report.rows).toBe(rows);
      expect(report.drifted).toEqual([]);
      for (const f of report.features) expect(f.psi).toBeCloseTo(0, 12);
      for (const s of report.scores) expect(s.psi).toBeLessThan(1e-3);
    } finally {
      model.close();
    }
  });

  it('candles as the reference: the 12 features computed as the trainer does, warm-up dropped', async () => {
    // data/sample_features.csv is data/sample_history.csv's features: the same histograms.
    const out = join(work, 'from-candles');
    await migrate(pkl, out, { createdAt: '2025-08-20T10:30:00Z', reference: join(root, 'data', 'sample_history.csv') });
    const meta = JSON.parse(readFileSync(join(out, 'production_model_metadata.json'), 'utf8')) as {
      drift_reference: { features: Record<string, Histogram> };
    };
    expect(Object.keys(fromFeatures)).toHaveLength(12);
    expect(meta.drift_reference.features).toEqual(fromFeatures);
  });

  it('without --reference: no drift_reference, and a note says how to add one', async () => {
    const r = await migrate(pkl, join(work, 'without'), { createdAt: '2025-08-20T10:30:00Z' });
    expect(r.notes.join(' ')).toMatch(/no drift reference recorded: give the training rows with --reference/);
    const model = await ProductionEnsemble.load(join(work, 'without'));
    try {
      expect(model.driftReference).toBeUndefined();
    } finally {
      model.close();
    }
  });

  it('candles whose features are not finite (a price of 0) are a MigrateError naming the file and bar', async () => {
    const bad = join(work, 'zero-price.csv');
    const candles = readFileSync(join(root, 'data', 'sample_history.csv'), 'utf8').trim().split('\n');
    const cols = candles[0]?.split(',') ?? [];
    candles[500] = (candles[500]?.split(',') ?? []).map((v, j) => (cols[j] === 'close' ? '0' : v)).join(',');
    writeFileSync(bad, `${candles.join('\n')}\n`);
    await expect(migrate(pkl, join(work, 'zero'), { reference: bad })).rejects.toThrow(/zero-price\.csv: feature \w+ is not finite at bar \d+/);
  });

  it('a reference file without the feature or candle columns is a MigrateError naming it', async () => {
    const bad = join(work, 'bad.csv');
    writeFileSync(bad, 'a,b\n1,2\n');
    await expect(migrate(pkl, join(work, 'bad'), { reference: bad })).rejects.toThrow(
      /bad\.csv has neither the models' feature columns \(close, volume, .*\) nor candle columns/,
    );
  });
});
