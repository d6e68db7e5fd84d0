/**
 * How an ensemble generation is made: load options checked and turned into the addon's, a model
 * directory loaded by the core (the only reader of the metadata file), or three loaded models
 * combined; and how a generation is freed. A reload builds its next generation here.
 */
import { createHash } from 'node:crypto';
import { type Binding, binding } from './binding.js';
import { LightGBMModel, XGBoostModel } from './boosters.js';
import type { EnsembleLoadOptions, EnsembleModels, EnsembleWeights, FromModelsOptions } from './ensemble-types.js';
import { InvalidArgumentError, MetadataError } from './errors.js';
import { checkThreads, nativeOptions } from './load-options.js';
import { type ResolvedSource, resolveSource } from './model-store.js';
import { RandomForestModel } from './random-forest.js';
import { type Generation, type Shape, deepFreeze, generation } from './scorer.js';

/** What a generation loaded from a directory knows of it, as the core read it. */
export interface DirectoryFacts {
  readonly dir: string;
  readonly metadataPath: string;
  readonly metadata: Binding.DirectoryMetadata;
  readonly legacy: boolean;
  readonly files: Binding.LoadedDirectory['files'];
}

/** Everything one load produced: swapped as a whole by a reload. */
export interface EnsembleGeneration extends Generation<Binding.EnsembleInfo> {
  readonly models: Readonly<EnsembleModels>;
  /** True when the models were loaded with the ensemble (and close with it), false for `fromModels`. */
  readonly ownsModels: boolean;
  readonly weights: Readonly<EnsembleWeights>;
  readonly threshold: number;
  readonly directory: DirectoryFacts | undefined;
  /**
   * The version: its name in a model store, else `sha256:` and 12 hex digits of the three files'
   * checksums, the weights and the threshold (what decides every score); undefined for
   * `fromModels`.
   */
  readonly version: string | undefined;
  /** The model store it was loaded through, if any. */
  readonly store: string | undefined;
}

/** @internal */
export const ensembleShape: Shape<Binding.EnsembleInfo> = {
  name: 'ProductionEnsemble',
  width: () => 1,
  single: () => 0,
  partsPerRow: 3,
  explanation: () => ({ outputNames: ['P(up)'], space: 'probability' }),
};

/** Frees a generation: its native ensemble, and its models when it loaded them. */
export function retire(g: EnsembleGeneration): void {
  g.native.close();
  if (g.ownsModels) {
    g.models.lightgbm.close();
    g.models.xgboost.close();
    g.models.randomForest.close();
  }
}

// Only the shape is checked here; the rules (finite, >= 0, sum 1) are the core's, the same for the
// metadata, these options and the C++ API. The addon and the metadata spell the forest
// `random_forest`; JS objects spell it `randomForest`, translated here and nowhere else.
function nativeWeights(w: EnsembleWeights): Binding.NativeWeights {
  if (typeof w !== 'object' || w === null) throw new TypeError('weights must be an object {lightgbm, xgboost, randomForest}');
  for (const k of ['lightgbm', 'xgboost', 'randomForest'] as const) {
    if (typeof w[k] !== 'number') {
      const hint = k === 'randomForest' && 'random_forest' in w ? ' (in JS the key is randomForest; random_forest is the metadata file\'s spelling)' : '';
      throw new TypeError(`weights.${k} must be a number, got ${typeof w[k]}${hint}`);
    }
  }
  return { lightgbm: w.lightgbm, xgboost: w.xgboost, random_forest: w.randomForest };
}

// The core names a bad weight by its own key (`weights.random_forest must be ...`, shared with the
// C++ API); a JS caller wrote `randomForest`. Metadata errors (`model_weights.random_forest`, a
// MetadataError) name the file's key and stay as they are.
function jsWeightKeys(e: unknown): unknown {
  if (e instanceof InvalidArgumentError && /^weights\.random_forest\b/.test(e.message)) {
    return new InvalidArgumentError(e.message.replace('weights.random_forest', 'weights.randomForest'));
  }
  return e;
}

function publicWeights(w: Binding.NativeWeights): Readonly<EnsembleWeights> {
  return Object.freeze({ lightgbm: w.lightgbm, xgboost: w.xgboost, randomForest: w.random_forest });
}

function checkThreshold(t: number): number {
  if (typeof t !== 'number' || !(t >= 0 && t <= 1)) throw new RangeError(`threshold must be a number in [0, 1], got ${t}`);
  return t;
}

function directoryOptions(options: EnsembleLoadOptions | undefined): Binding.DirectoryOptions {
  const out: Binding.DirectoryOptions = nativeOptions(options);
  if (options?.weights !== undefined) out.weights = nativeWeights(options.weights);
  if (options?.threshold !== undefined) out.threshold = checkThreshold(options.threshold);
  if (options?.verifyChecksums !== undefined) out.verifyChecksums = options.verifyChecksums;
  return out;
}

function make(
  native: Binding.Ensemble,
  models: EnsembleModels,
  threshold: number,
  ownsModels: boolean,
  directory?: DirectoryFacts,
  source?: ResolvedSource,
): EnsembleGeneration {
  const g = generation(native, ensembleShape);
  const weights = publicWeights(g.info.weights);
  let version = source?.version;
  if (version === undefined && directory !== undefined) {
    const h = createHash('sha256');
    for (const f of directory.files) h.update(`${f.role}:${f.sha256}\n`);
    h.update(`${weights.lightgbm} ${weights.xgboost} ${weights.randomForest} ${threshold}`);
    version = `sha256:${h.digest('hex').slice(0, 12)}`;
  }
  return { ...g, models: Object.freeze({ ...models }), ownsModels, weights, threshold, directory, version, store: source?.store };
}

function fromLoaded(loaded: Binding.LoadedDirectory, source: ResolvedSource): EnsembleGeneration {
  const dir = source.dir;
  const m = loaded.ensemble.models();
  const models = {
    lightgbm: LightGBMModel.fromNative(m.lightgbm),
    xgboost: XGBoostModel.fromNative(m.xgboost),
    randomForest: RandomForestModel.fromNative(m.forest),
  };
  return make(loaded.ensemble, models, loaded.threshold, true, {
    dir,
    metadataPath: loaded.metadataPath,
    metadata: deepFreeze(loaded.metadata),
    legacy: loaded.legacyMetadata,
    files: deepFreeze(loaded.files),
  }, source);
}

/** Loads a model directory (or a store's current version) on the libuv pool. */
export async function loadDirectory(path: string, options: EnsembleLoadOptions | undefined): Promise<EnsembleGeneration> {
  return loadResolved(resolveSource(path), options);
}

/** Loads what `resolveSource` found, on the libuv pool. */
export async function loadResolved(source: ResolvedSource, options: EnsembleLoadOptions | undefined): Promise<EnsembleGeneration> {
  try {
    return fromLoaded(await binding().addon.loadModelDirectory(source.dir, directoryOptions(options), true), source);
  } catch (e) {
    throw jsWeightKeys(e);
  }
}

/** Loads a model directory (or a store's current version), blocking. */
export function loadDirectorySync(path: string, options: EnsembleLoadOptions | undefined): EnsembleGeneration {
  const source = resolveSource(path);
  try {
    return fromLoaded(binding().addon.loadModelDirectory(source.dir, directoryOptions(options), false), source);
  } catch (e) {
    throw jsWeightKeys(e);
  }
}

/** Combines three loaded models (they stay the caller's). */
export function combine<Name extends string>(models: EnsembleModels, options: FromModelsOptions<Name>): EnsembleGeneration {
  checkModels(models);
  checkFeatureNames(options);
  const weights = nativeWeights(options.weights ?? { lightgbm: 0.4, xgboost: 0.4, randomForest: 0.2 });
  const threshold = checkThreshold(options.threshold ?? 0.5);
  checkThreads(options.threads);
  let native: Binding.Ensemble;
  try {
    native = binding().addon.makeEnsemble(
      models.lightgbm.native as Binding.LightGBMBooster,
      models.xgboost.native as Binding.XGBoostBooster,
      models.randomForest.native as Binding.Forest,
      { featureNames: [...options.featureNames], weights, threads: options.threads ?? 0 },
    );
  } catch (e) {
    throw jsWeightKeys(e);
  }
  return make(native, models, threshold, false);
}

function checkModels(models: unknown): void {
  const m = models as Record<string, unknown> | null;
  if (m === null || typeof m !== 'object') {
    throw new TypeError('fromModels needs the models: { lightgbm: LightGBMModel, xgboost: XGBoostModel, randomForest: RandomForestModel }');
  }
  for (const [key, Cls] of [['lightgbm', LightGBMModel], ['xgboost', XGBoostModel], ['randomForest', RandomForestModel]] as const) {
    if (!(m[key] instanceof Cls)) throw new TypeError(`fromModels: models.${key} must be a ${Cls.name}`);
  }
}

function checkFeatureNames(options: unknown): void {
  if (options === null || typeof options !== 'object') {
    throw new TypeError('fromModels needs options with featureNames: the column order of every row, e.g. { featureNames: FEATURE_NAMES }');
  }
  const names = (options as { featureNames?: unknown }).featureNames;
  if (!Array.isArray(names) || names.some((n) => typeof n !== 'string' || n === '')) {
    throw new TypeError('fromModels: options.featureNames must be an array of non-empty strings');
  }
  const seen = new Set<string>();
  for (const n of names as string[]) {
    if (seen.has(n)) throw new MetadataError(`fromModels: options.featureNames lists '${n}' twice`);
    seen.add(n);
  }
}
