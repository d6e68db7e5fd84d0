// Model versions for the serving tests (reload, store, watch, sets): the bundled directory (A),
// the same files with other weights (B: every row scores differently, the files' checksums still
// hold), and a small 7-feature ensemble built from the fixture models.
import { createHash } from 'node:crypto';
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProductionEnsemble } from '../dist/index.js';
import { fixtures, productionDir } from './helpers.js';

export const METADATA = 'production_model_metadata.json';

export function tempDir(prefix = 'pe-serving-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function readMeta(dir: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(dir, METADATA), 'utf8')) as Record<string, unknown>;
}

export function writeMeta(dir: string, meta: Record<string, unknown>): void {
  writeFileSync(join(dir, METADATA), `${JSON.stringify(meta, null, 2)}\n`);
}

/** Versions A and B in a fresh temporary directory, and what each scores on `x`. */
export interface TwoVersions {
  tmp: string;
  dirA: string;
  dirB: string;
  expectA: Float64Array;
  expectB: Float64Array;
}

export async function twoVersions(x: Float64Array): Promise<TwoVersions> {
  const tmp = tempDir();
  const dirA = versionDir(join(tmp, 'A'));
  const dirB = versionDir(join(tmp, 'B'), B_WEIGHTS);
  using a = await ProductionEnsemble.load(dirA);
  using b = await ProductionEnsemble.load(dirB);
  return { tmp, dirA, dirB, expectA: a.predictProba(x), expectB: b.predictProba(x) };
}

/** A copy of the bundled directory, with `weights` (metadata spelling) when given. */
export function versionDir(to: string, weights?: { lightgbm: number; xgboost: number; random_forest: number }): string {
  cpSync(productionDir, to, { recursive: true });
  if (weights) writeMeta(to, { ...readMeta(to), model_weights: weights });
  return to;
}

export const B_WEIGHTS = { lightgbm: 0.5, xgboost: 0.3, random_forest: 0.2 };

export function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** Rewrites the metadata's checksum of `file` to its bytes now (a corrupt file that checks). */
export function resign(dir: string, role: 'lightgbm' | 'xgboost' | 'random_forest', file: string): void {
  const meta = readMeta(dir) as { model_files: Record<string, { sha256: string }> };
  (meta.model_files[role] as { sha256: string }).sha256 = sha256(join(dir, file));
  writeMeta(dir, meta as unknown as Record<string, unknown>);
}

/** A small ensemble of the 7-feature fixture models (loads in milliseconds). */
export function smallDir(to: string, names = ['a', 'b', 'c', 'd', 'e', 'f', 'g']): string {
  mkdirSync(to, { recursive: true });
  const m = join(fixtures, 'models');
  copyFileSync(join(m, 'lgb_binary_nan_7f', 'model.txt'), join(to, 'lightgbm.txt'));
  copyFileSync(join(m, 'xgb_binary_nan_7f', 'model.json'), join(to, 'xgboost.json'));
  copyFileSync(join(m, 'rf_binary_nan_7f', 'model.forest'), join(to, 'random_forest.forest'));
  const file = (name: string, format: string) => ({ file: name, format, sha256: sha256(join(to, name)) });
  writeMeta(to, {
    schema_version: 1,
    created_at: '2025-01-01T00:00:00Z',
    model_type: 'ProductionEnsemble',
    n_features: names.length,
    feature_names: names,
    individual_models: ['lightgbm', 'xgboost', 'random_forest'],
    model_weights: { lightgbm: 0.4, xgboost: 0.4, random_forest: 0.2 },
    decision_threshold: 0.5,
    model_files: {
      lightgbm: file('lightgbm.txt', 'lightgbm-text'),
      xgboost: file('xgboost.json', 'xgboost-json'),
      random_forest: file('random_forest.forest', 'production-ensemble-forest-v1'),
    },
  });
  return to;
}
