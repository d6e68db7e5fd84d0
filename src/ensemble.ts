/**
 * ProductionEnsemble: the bot's model, P(up) = 0.4·LightGBM + 0.4·XGBoost + 0.2·RandomForest,
 * loaded from a model directory (docs/metadata.md) and scored in one native call per batch.
 */
import { join } from 'node:path';
import { type Binding, binding, packageRoot } from './binding.js';
import { type DriftOptions, type DriftReference, DriftMonitor, driftReferenceOf } from './drift.js';
import { type ServingState, modelInfo, probe, unhealthy } from './ensemble-info.js';
import { type EnsembleGeneration, combine, ensembleShape, loadDirectory, loadDirectorySync, loadResolved, retire } from './ensemble-load.js';
import { checkCandidate, failedOutcome } from './ensemble-reload.js';
import type {
  EnsembleLoadOptions,
  EnsembleModels,
  EnsembleWeights,
  FromModelsOptions,
  HealthReport,
  ModelInfo,
  ModelProbabilities,
  ReloadOptions,
  ReloadOutcome,
  WatchOptions,
} from './ensemble-types.js';
import { ClosedError, MetadataError, withCallerStack } from './errors.js';
import { type EnsembleExplanation, ensembleExplanation } from './explain.js';
import type { FeatureName } from './features.js';
import { nativeOptions } from './load-options.js';
import { type ResolvedSource, resolveSource } from './model-store.js';
import { type BatchObserver, type Explained, Scorer, type Scored } from './scorer.js';
import type { MatrixInput, RowInput } from './validate.js';
import { Watcher } from './watch.js';

/**
 * The bundled default model directory (models/production inside the package).
 * @example
 * const model = await ProductionEnsemble.load(defaultModelDirectory); // same as load()
 */
export const defaultModelDirectory = join(packageRoot, 'models', 'production');

function split({ out, parts }: Scored, version: string | undefined): ModelProbabilities {
  const rows = out.length;
  const p = parts as Float64Array;
  const r: ModelProbabilities = { lightgbm: p.subarray(0, rows), xgboost: p.subarray(rows, 2 * rows), randomForest: p.subarray(2 * rows, 3 * rows), ensemble: out };
  if (version !== undefined) r.version = version;
  return r;
}

/** The scorer behind an ensemble, for the serving layers (metrics, ensemble sets). @internal */
export const scorerOf = Symbol('production-ensemble.scorer');

/**
 * The production ensemble. `Name` types the keys of rows given as records: by default the 12
 * production features ({@link FeatureName}); a model directory with other features is loaded as
 * `ProductionEnsemble.load<string>(dir)` (any names, checked at run time) or with its own names.
 * @example
 * import { ProductionEnsemble } from 'production-ensemble';
 * const model = await ProductionEnsemble.load(); // the bundled models/production
 * const p = model.predictProba([[...twelveFeatureValues]]); // Float64Array of P(up)
 * const labels = model.predict(rows);                        // Uint8Array of 0/1 at the threshold
 * const one = model.predictOne({ close: 101.2, volume: 5400, ... }); // number
 * model.close();
 */
export class ProductionEnsemble<Name extends string = FeatureName> {
  // Everything one load produced, behind the scoring path every class shares (src/scorer.ts).
  readonly #scorer: Scorer<Binding.EnsembleInfo, EnsembleGeneration>;
  /** What `reload()` reloads: the directory or store given to load (or the last reload). */
  #path: string | undefined;
  #options: EnsembleLoadOptions | undefined;
  #since = Date.now();
  #reloads: { succeeded: number; failed: number; last?: ReloadOutcome } = { succeeded: 0, failed: 0 };
  /** Reloads run one after the other: each waits for the one before it. */
  #queue: Promise<unknown> = Promise.resolve();
  #watcher: Watcher | undefined;
  #watchOptions: WatchOptions | true = true;
  readonly #listeners = new Set<(outcome: ReloadOutcome) => void>();
  #drift: DriftMonitor | undefined;

  private constructor(gen: EnsembleGeneration, path?: string, options?: EnsembleLoadOptions) {
    this.#scorer = new Scorer(gen, ensembleShape, retire);
    this.#path = path;
    this.#options = options;
    if (options?.onReload !== undefined) this.onReload(options.onReload);
    if (options?.watch) this.watch(options.watch);
  }

  /**
   * Loads a model directory (default: the bundled `models/production`), checks its metadata
   * against the three models, and returns the ensemble. Runs off the event loop.
   * @example
   * const model = await ProductionEnsemble.load();                       // the 12 production features
   * const other = await ProductionEnsemble.load<'a' | 'b'>('models/ab');  // records keyed 'a', 'b'
   */
  static async load<Name extends string = FeatureName>(dir: string = defaultModelDirectory, options?: EnsembleLoadOptions): Promise<ProductionEnsemble<Name>> {
    const callSite = new Error();
    try {
      return new ProductionEnsemble<Name>(await loadDirectory(dir, options), dir, options);
    } catch (e) {
      throw withCallerStack(e, callSite);
    }
  }

  /**
   * Same as `load`, blocking.
   * @example
   * const model = ProductionEnsemble.loadSync(); // at start-up, before serving
   */
  static loadSync<Name extends string = FeatureName>(dir: string = defaultModelDirectory, options?: EnsembleLoadOptions): ProductionEnsemble<Name> {
    return new ProductionEnsemble<Name>(loadDirectorySync(dir, options), dir, options);
  }

  /**
   * Builds an ensemble from models loaded one by one (they stay usable on their own and share
   * their native memory with the ensemble). `options.featureNames` (required) is the column
   * order of every row; the names must be distinct strings (`MetadataError` otherwise), and type
   * the keys of record rows.
   * @example
   * const model = ProductionEnsemble.fromModels({ lightgbm, xgboost, randomForest }, { featureNames: FEATURE_NAMES });
   */
  static fromModels<Name extends string>(
    models: EnsembleModels,
    options: FromModelsOptions<Name>,
  ): ProductionEnsemble<Name> {
    return new ProductionEnsemble<Name>(combine(models, options));
  }

  /**
   * The seed's health check: load the directory, score a probe row, check the model info.
   * Never throws: failures are reported as `{ status: 'unhealthy', error }`.
   * @example
   * const h = await ProductionEnsemble.healthCheck(); // { status: 'healthy', probe, elapsedMs, info, ... }
   */
  static async healthCheck(dir: string = defaultModelDirectory, options?: EnsembleLoadOptions): Promise<HealthReport> {
    const started = performance.now();
    let model: ProductionEnsemble | undefined;
    try {
      model = await ProductionEnsemble.load(dir, options);
      return await probe(model, started);
    } catch (e) {
      return unhealthy(e);
    } finally {
      model?.close();
    }
  }

  /** Number of features per row (12 for the production model). */
  get nFeatures(): number {
    return this.#scorer.last.info.nFeatures;
  }

  /** Feature names in column order; a frozen array. */
  get featureNames(): readonly Name[] {
    return this.#scorer.last.info.featureNames as Name[];
  }

  /** The weights in force; a frozen object. */
  get weights(): Readonly<EnsembleWeights> {
    return this.#scorer.last.weights;
  }

  /** The decision threshold `predict` uses. */
  get threshold(): number {
    return this.#scorer.last.threshold;
  }

  /**
   * The three models, usable on their own; a frozen object. Those loaded by `load` close with the
   * ensemble; those passed to `fromModels` stay the caller's to close.
   */
  get models(): Readonly<EnsembleModels> {
    return this.#scorer.last.models;
  }

  /** True after `close()`. */
  get closed(): boolean {
    return this.#scorer.closed;
  }

  /**
   * The version serving now: its name in a model store, else `sha256:` and 12 hex digits of its
   * files' checksums, weights and threshold; undefined for `fromModels`. A sync call and a read
   * of `version` in the same tick see the same version (a reload swaps between ticks).
   */
  get version(): string | undefined {
    return this.#scorer.last.version;
  }

  /** @internal */
  get [scorerOf](): Scorer<Binding.EnsembleInfo, EnsembleGeneration> {
    return this.#scorer;
  }

  /**
   * Replaces the models with those of `path` (default: the directory or store this ensemble
   * was loaded from; a store's `current` is read again), atomically: calls in flight finish on
   * the old models, calls made after the promise resolves use the new ones, and the old native
   * memory is freed when its last call ends. The new version is checked before it serves: its
   * files against their checksums and every model parsed (as `load`), the same feature names as
   * the version serving, probe rows through both scoring paths, and `options.selfCheck`. If any
   * of it fails the old models keep serving and the promise rejects with the package's error
   * (`ModelNotFoundError`, `MetadataError`, `ModelFormatError`, `SelfCheckError`...). Reloads are
   * serialised; `close()` during one frees what it loaded and it rejects with `ClosedError`.
   * `options` override the load's options for this and later reloads.
   * @example
   * const r = await model.reload();            // the store's current version, or the same directory
   * console.log(`serving ${r.version} (was ${r.previousVersion})`);
   */
  async reload(path?: string, options?: ReloadOptions): Promise<ReloadOutcome> {
    const callSite = new Error();
    const outcome = await this.#enqueue(() => this.#reload(path, options, 'reload'));
    if (!outcome.ok) throw withCallerStack(outcome.cause, callSite);
    return outcome.outcome;
  }

  /**
   * Calls `listener` after every reload, ok or failed, whether `reload()` or watch mode made it.
   * Returns the function that removes it.
   * @example
   * const off = model.onReload((r) => log(r.ok ? `now ${r.version}` : `reload failed: ${r.error}`));
   */
  onReload(listener: (outcome: ReloadOutcome) => void): () => void {
    if (typeof listener !== 'function') throw new TypeError('onReload takes a function');
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Follows the directory or store this ensemble was loaded from: reloads once a change has
   * settled and the new files match their checksums (docs/serving.md#watch-mode). Failures go
   * to `onReload` listeners and `getModelInfo().reloads`. Stopped by `unwatch()` or `close()`.
   */
  watch(options: WatchOptions | true = true): void {
    if (this.#scorer.closed) throw new ClosedError('ProductionEnsemble is closed');
    const path = this.#path;
    if (path === undefined) throw new TypeError(`watch needs a model directory or store: this ensemble was built with fromModels`);
    this.#watcher?.close();
    this.#watchOptions = options;
    const verify = nativeOptions({ ...this.#options, threads: 1 });
    this.#watcher = new Watcher(
      {
        path,
        reload: async (source) => {
          await this.#enqueue(() => this.#reload(path, undefined, 'watch', source));
        },
        incomplete: (dir, error) => this.#record(failedOutcome('watch', dir, performance.now(), error)),
      },
      options,
      (dir) => binding().addon.checkModelFiles(dir, verify, true),
    );
  }

  /** Stops watch mode (a reload already running finishes). */
  unwatch(): void {
    this.#watcher?.close();
    this.#watcher = undefined;
  }

  #enqueue<T>(job: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(job);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #reload(
    path: string | undefined,
    options: ReloadOptions | undefined,
    trigger: ReloadOutcome['trigger'],
    resolved?: ResolvedSource,
  ): Promise<{ ok: true; outcome: ReloadOutcome } | { ok: false; cause: unknown }> {
    const started = performance.now();
    const target = path ?? this.#path;
    let directory = target ?? '';
    let next: EnsembleGeneration | undefined;
    let swapped = false;
    try {
      const serving = this.#scorer.live;
      if (target === undefined) throw new TypeError('this ensemble was built with fromModels: give reload a model directory or store');
      const merged: EnsembleLoadOptions = { ...this.#options, ...options };
      const source = resolved ?? resolveSource(target);
      directory = source.dir;
      next = await loadResolved(source, merged);
      await checkCandidate(serving, next, merged.selfCheck);
      // A close() while the load ran: what was loaded is freed, nothing serves it.
      if (this.#scorer.closed) throw new ClosedError('ProductionEnsemble is closed');
      const previous = this.#scorer.live.version;
      this.#scorer.swap(next);
      swapped = true;
      this.#since = Date.now();
      this.#options = merged;
      if (path !== undefined && path !== this.#path) {
        this.#path = path;
        if (this.#watcher) this.watch(this.#watchOptions);
      } else if (trigger === 'reload') {
        this.#watcher?.resync();
      }
      const outcome: ReloadOutcome = {
        ok: true,
        trigger,
        at: new Date(this.#since).toISOString(),
        durationMs: performance.now() - started,
        directory,
      };
      if (next.version !== undefined) outcome.version = next.version;
      if (previous !== undefined) outcome.previousVersion = previous;
      this.#record(outcome);
      return { ok: true, outcome };
    } catch (e) {
      if (next !== undefined && !swapped) retire(next);
      if (!(e instanceof ClosedError)) this.#record(failedOutcome(trigger, directory, started, e));
      return { ok: false, cause: e };
    }
  }

  #record(outcome: ReloadOutcome): void {
    if (outcome.ok) this.#reloads.succeeded++;
    else this.#reloads.failed++;
    this.#reloads.last = outcome;
    for (const listener of this.#listeners) {
      try {
        listener({ ...outcome });
      } catch (e) {
        // A listener's bug surfaces as any event handler's would, without failing the reload.
        queueMicrotask(() => {
          throw e;
        });
      }
    }
  }

  // Every batch call goes through these two: with a drift monitor running, each model's score is
  // needed too (the monitor's score windows), and the monitor sees the batch once it is scored.
  #batch(x: MatrixInput<Name>, withParts: boolean): Scored {
    const drift = this.#drift;
    return this.#scorer.predict(x, 0, withParts || drift !== undefined, drift && this.#observer(drift));
  }

  #batchAsync(x: MatrixInput<Name>, withParts: boolean): Promise<Scored> {
    const drift = this.#drift;
    return this.#scorer.predictAsync(x, 0, withParts || drift !== undefined, drift && this.#observer(drift));
  }

  #observer(drift: DriftMonitor): BatchObserver {
    const n = this.nFeatures;
    return (data, rows, pooled) => {
      // A pooled batch: the rows as they were when the call was made (the caller may refill its
      // buffer at once), and only the last ones its window can hold (copying a whole large batch
      // cost more than the monitor's own work).
      const kept = pooled ? Math.min(rows, drift.options.window) : rows;
      const copy = pooled ? data.slice((rows - kept) * n, rows * n) : data;
      return (scored) => {
        if (this.#drift !== drift) return; // replaced or stopped while the batch was scored
        if (pooled) drift.observeFeatures(copy, kept, rows - kept);
        else drift.observeFeatures(copy, rows);
        drift.observeScores(split(scored, undefined));
        drift.check();
      };
    };
  }

  /** P(up) per row: 0.4·LightGBM + 0.4·XGBoost + 0.2·RandomForest (the metadata's weights). */
  predictProba(x: MatrixInput<Name>): Float64Array {
    return this.#batch(x, false).out;
  }

  /** Class labels (1 = up) at the decision threshold: `predictProba(x) >= threshold`. */
  predict(x: MatrixInput<Name>): Uint8Array {
    const g = this.#scorer.live;
    return labels(this.#batch(x, false).out, g.threshold);
  }

  /**
   * `predictProba` on the libuv thread pool: the event loop stays free while it scores. A single
   * row is scored inline instead (it takes less time than the hop to the pool and back) and the
   * promise is already settled. The input is copied when the call is made: you may reuse, refill
   * or transfer its buffer at once (docs/threads.md).
   */
  async predictProbaAsync(x: MatrixInput<Name>): Promise<Float64Array> {
    return (await this.#batchAsync(x, false)).out;
  }

  /** `predict` off the event loop, at the threshold in force when the call is made. */
  async predictAsync(x: MatrixInput<Name>): Promise<Uint8Array> {
    const g = this.#scorer.live;
    return labels((await this.#batchAsync(x, false)).out, g.threshold);
  }

  /**
   * The split nodes the rows pass on their way to a leaf, summed over every tree of the three
   * models and every row: the work no exact scorer can avoid (the benchmarks' lower bound).
   * `null` when a booster is scored by its library (see `getModelInfo().models`).
   */
  nodesVisited(x: MatrixInput<Name>): number | null {
    return this.#scorer.nodesVisited(x);
  }

  /** Each model's P(up) and the ensemble's, in one native call (for diagnosis and A/B checks). */
  predictModels(x: MatrixInput<Name>): ModelProbabilities {
    const version = this.#scorer.live.version;
    return split(this.#batch(x, true), version);
  }

  /** `predictModels` off the event loop; the input is copied when the call is made. */
  async predictModelsAsync(x: MatrixInput<Name>): Promise<ModelProbabilities> {
    // The version of the generation the call starts on, which is the one that scores it.
    const version = this.#scorer.live.version;
    return split(await this.#batchAsync(x, true), version);
  }

  /**
   * The drift reference of the model directory's metadata (docs/metadata.md#drift_reference),
   * or undefined (an older directory, or an ensemble built with fromModels).
   */
  get driftReference(): DriftReference | undefined {
    return driftReferenceOf(this.#scorer.last.directory?.metadata);
  }

  /** The drift monitor the ensemble feeds (monitorDrift), if any. */
  get driftMonitor(): DriftMonitor | undefined {
    return this.#drift;
  }

  /**
   * Starts drift monitoring (docs/drift.md): from now on every batch call (predictProba, predict,
   * predictModels and their async forms; not predictOne) adds its rows and each model's scores
   * to the monitor's sliding windows, compared with the directory's drift reference (or
   * `options.reference`). Replaces a monitor already running. Throws MetadataError when there is
   * no reference.
   * @example
   * const monitor = ensemble.monitorDrift({ window: 5000 });
   * monitor.on('drift', (e) => alert(`${e.column.name} drifted: PSI ${e.column.psi.toFixed(2)}`));
   */
  monitorDrift(options: DriftOptions & { reference?: DriftReference } = {}): DriftMonitor {
    const g = this.#scorer.live;
    const { reference, ...rest } = options;
    const ref = reference ?? driftReferenceOf(g.directory?.metadata);
    if (!ref) {
      throw new MetadataError(
        `${g.directory?.metadataPath ?? 'this ensemble'} has no drift_reference: retrain with tools/train_models.py, migrate with --reference, or pass options.reference`,
      );
    }
    const names = ref.features.map((h) => h.name);
    const own = g.info.featureNames;
    if (names.length !== g.info.nFeatures || names.some((n, j) => n !== own[j])) {
      throw new MetadataError(`the drift reference's features (${names.join(', ')}) are not the ensemble's (${own.join(', ')})`);
    }
    this.#drift = new DriftMonitor(ref, rest);
    return this.#drift;
  }

  /** Stops drift monitoring (the monitor keeps what it saw). */
  stopDriftMonitor(): void {
    this.#drift = undefined;
  }

  /**
   * Why the ensemble says what it says (docs/explain.md): per row, each feature's contribution to
   * P(up) and the expected value, adding up to P(up) within 1e-9. Each model's exact TreeSHAP
   * contributions (boosters' margins mapped to probability by the rescale rule) weighted as P(up)
   * is; `models` has each model's part. Throws `NotExplainableError` naming the model that
   * cannot be explained (e.g. a forest file of format 1.0).
   * @example
   * const e = ensemble.explain([latest]);
   * e.ranked(0).slice(0, 3); // the three features that moved P(up) most
   */
  explain(x: MatrixInput<Name>): EnsembleExplanation<Name> {
    return this.#explanation(this.#scorer.explain(x));
  }

  /** `explain` on the libuv thread pool; the input is copied when the call is made. */
  async explainAsync(x: MatrixInput<Name>): Promise<EnsembleExplanation<Name>> {
    return this.#explanation(await this.#scorer.explainAsync(x));
  }

  #explanation({ gen, rows, out, parts }: Explained<EnsembleGeneration>): EnsembleExplanation<Name> {
    return ensembleExplanation(out, parts ?? new Float64Array(0), rows, gen.info.featureNames as Name[], gen.weights);
  }

  /**
   * P(up) of one row: the latency path (one thread, no allocation for typed-array and array
   * rows). `row`: nFeatures numbers, or a record keyed by feature name.
   */
  predictOne(row: RowInput<Name>): number {
    return this.#scorer.predictOne(row);
  }

  /** The seed's get_model_info(), in JS casing, plus the library versions actually loaded. */
  getModelInfo(): ModelInfo {
    const serving: ServingState = { since: this.#since, reloads: this.#reloads, watching: this.#watcher !== undefined };
    return modelInfo(this.#scorer.live, serving);
  }

  /**
   * The seed's health check on this loaded model: scores a random probe row through the batch
   * and single-row paths and checks the model info. Never throws.
   */
  async healthCheck(): Promise<HealthReport> {
    try {
      return await probe(this, performance.now());
    } catch (e) {
      return unhealthy(e);
    }
  }

  /**
   * Frees the ensemble and the models it loaded. Idempotent; later calls throw `ClosedError`.
   * Async calls already running finish first.
   */
  close(): void {
    this.unwatch();
    this.#scorer.close();
  }

  /** Same as `close()`, for `using model = ...`. */
  [Symbol.dispose](): void {
    this.close();
  }
}

function labels(p: Float64Array, threshold: number): Uint8Array {
  const out = new Uint8Array(p.length);
  for (let i = 0; i < p.length; i++) out[i] = (p[i] as number) >= threshold ? 1 : 0;
  return out;
}
