/**
 * `production-ensemble validate`: checks a model directory and lists every problem found (the
 * loader stops at the first): metadata schema, checksums, each model's format, feature counts and
 * names, and finally a full load of the ensemble.
 * @internal
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ProductionEnsemble } from '../ensemble.js';
import { LightGBMModel, RandomForestModel, XGBoostModel } from '../models.js';

export interface ValidationReport {
  directory: string;
  metadataFile?: string;
  ok: boolean;
  problems: string[];
  checked: string[];
}

const ROLES = ['lightgbm', 'xgboost', 'random_forest'] as const;
const DEFAULT_FILES = { lightgbm: 'lightgbm.txt', xgboost: 'xgboost.json', random_forest: 'random_forest.forest' };
const LOADERS = { lightgbm: LightGBMModel, xgboost: XGBoostModel, random_forest: RandomForestModel };

export async function validateDirectory(dir: string): Promise<ValidationReport> {
  const problems: string[] = [];
  const checked: string[] = [];
  const report: ValidationReport = { directory: dir, ok: false, problems, checked };
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    problems.push(`model directory ${dir} does not exist`);
    return report;
  }
  let metaPath = join(dir, 'production_model_metadata.json');
  if (!existsSync(metaPath)) {
    const legacy = join(dir, 'model_metadata.json');
    if (!existsSync(legacy)) {
      problems.push(`${dir} has no production_model_metadata.json (nor the legacy model_metadata.json)`);
      return report;
    }
    metaPath = legacy;
  }
  report.metadataFile = metaPath;
  let meta: Record<string, unknown> = {};
  try {
    meta = JSON.parse(readFileSync(metaPath, 'utf8')) as Record<string, unknown>;
    checked.push(`${metaPath}: valid JSON`);
  } catch (e) {
    problems.push(`${metaPath}: not valid JSON: ${(e as Error).message}`);
  }
  const bad = (what: string) => problems.push(`${metaPath}: ${what}`);
  if (meta.schema_version !== undefined && meta.schema_version !== 1) bad(`schema_version ${String(meta.schema_version)} is not supported (expected 1)`);
  if (meta.model_type !== undefined && meta.model_type !== 'ProductionEnsemble') bad(`model_type is "${String(meta.model_type)}", expected "ProductionEnsemble"`);
  const names = Array.isArray(meta.feature_names) ? (meta.feature_names as unknown[]) : undefined;
  if (!names) bad('"feature_names" must be an array of strings');
  else {
    if (names.some((x) => typeof x !== 'string' || x === '')) bad('"feature_names" must hold non-empty strings');
    const dup = names.find((x, i) => names.indexOf(x) !== i);
    if (dup !== undefined) bad(`feature name '${String(dup)}' appears twice`);
    if (meta.n_features !== undefined && meta.n_features !== names.length) bad(`n_features says ${String(meta.n_features)} but feature_names lists ${names.length}`);
  }
  const im = meta.individual_models;
  if (im !== undefined && (!Array.isArray(im) || im.length !== 3 || !ROLES.every((r) => (im as unknown[]).includes(r)))) {
    bad('"individual_models" must be ["lightgbm", "xgboost", "random_forest"]');
  }
  const w = meta.model_weights as Record<string, unknown> | undefined;
  if (w !== undefined) {
    if (typeof w !== 'object' || w === null) bad('"model_weights" must be an object');
    else {
      for (const r of ROLES) if (typeof w[r] !== 'number' || !((w[r] as number) >= 0)) bad(`model_weights.${r} must be a number >= 0`);
      const sum = ROLES.reduce((a, r) => a + (typeof w[r] === 'number' ? (w[r] as number) : 0), 0);
      if (Math.abs(sum - 1) > 1e-9) bad(`model_weights sum to ${sum}, not 1 (P(up) would not be a probability)`);
    }
  }
  const t = meta.decision_threshold;
  if (t !== undefined && !(typeof t === 'number' && t >= 0 && t <= 1)) bad('"decision_threshold" must be a number in [0, 1]');
  const files = meta.model_files as Record<string, { file?: unknown; sha256?: unknown }> | undefined;

  for (const role of ROLES) {
    const entry = files?.[role];
    if (files && !entry) {
      bad(`"model_files" has no "${role}" entry`);
      continue;
    }
    const name = typeof entry?.file === 'string' ? entry.file : DEFAULT_FILES[role];
    const path = join(dir, name);
    if (!existsSync(path)) {
      problems.push(`${path}: missing`);
      continue;
    }
    const bytes = readFileSync(path);
    const sha = createHash('sha256').update(bytes).digest('hex');
    if (typeof entry?.sha256 === 'string' && entry.sha256 !== sha) {
      problems.push(`${path}: sha256 is ${sha} but ${metaPath} says ${entry.sha256}`);
    } else if (typeof entry?.sha256 === 'string') {
      checked.push(`${path}: sha256 matches`);
    }
    try {
      const model = await LOADERS[role].load(path, { threads: 1 });
      checked.push(`${path}: a valid ${role} model with ${model.nFeatures} features`);
      if (names && model.nFeatures !== names.length) problems.push(`${path} has ${model.nFeatures} features but ${metaPath} lists ${names.length}`);
      const own = model.featureNames;
      const auto = own.every((f, i) => f === `Column_${i}` || f === `f${i}`);
      if (names && own.length === names.length && !auto) {
        const i = own.findIndex((f, k) => f !== names[k]);
        if (i >= 0) problems.push(`${path}: feature ${i} is named '${own[i]}' in the model but '${String(names[i])}' in ${metaPath}`);
      }
      model.close();
    } catch (e) {
      problems.push((e as Error).message);
    }
  }
  if (problems.length === 0) {
    try {
      const e = await ProductionEnsemble.load(dir, { threads: 1 });
      checked.push('the ensemble loads and its models fit together');
      e.close();
    } catch (e) {
      problems.push((e as Error).message);
    }
  }
  report.ok = problems.length === 0;
  return report;
}
