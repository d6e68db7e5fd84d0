/**
 * Loads the native addon and types what it exports. Nothing outside this file imports the
 * `.node` file or sees a native type.
 * @internal
 */
import { createRequire } from 'node:module';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ErrorCode } from './error-codes.js';
import { LibraryLoadError, createError } from './errors.js';
import type { BoosterInfo as PublicBoosterInfo, ForestInfo as PublicForestInfo, LibraryInfo as PublicLibraryInfo } from './model-types.js';

/** @internal */
export namespace Binding {
  export type Input = Float32Array | Float64Array;
  /** 0 = the library's normal output (probabilities), 1 = raw margin. */
  export type Kind = 0 | 1;

  /** What every native scoring object offers. */
  export interface Scorer<Info> {
    predict(data: Input, rows: number, kind: Kind, out: Float64Array, parts?: Float64Array): void;
    predictAsync(data: Input, rows: number, kind: Kind, out: Float64Array, parts?: Float64Array): Promise<void>;
    predictRow(row: Input, kind: Kind, out: Float64Array, parts?: Float64Array): void;
    info(): Info;
    nodesVisited(data: Float64Array, rows: number): number | null;
    /** What explain writes per row: outputs (and parts) times nFeatures + 1; note says why not. */
    explainShape(): { outputs: number; parts: number; note: string };
    explain(data: Input, rows: number, out: Float64Array, parts?: Float64Array): void;
    explainAsync(data: Input, rows: number, out: Float64Array, parts?: Float64Array): Promise<void>;
    close(): void;
    isClosed(): boolean;
  }

  export type LibraryInfo = PublicLibraryInfo;
  export type BoosterInfo = PublicBoosterInfo;
  export type ForestInfo = PublicForestInfo;

  /** The addon spells the forest as the metadata does; src/ensemble-load.ts translates. */
  export interface NativeWeights {
    lightgbm: number;
    xgboost: number;
    random_forest: number;
  }
  export interface EnsembleInfo {
    nFeatures: number;
    featureNames: string[];
    weights: NativeWeights;
  }

  export type LightGBMBooster = Scorer<BoosterInfo>;
  export type XGBoostBooster = Scorer<BoosterInfo>;
  export type Forest = Scorer<ForestInfo>;
  export interface Ensemble extends Scorer<EnsembleInfo> {
    models(): { lightgbm: LightGBMBooster; xgboost: XGBoostBooster; forest: Forest };
  }

  export interface Source {
    path?: string;
    bytes?: Uint8Array;
    name?: string;
  }
  export interface NativeOptions {
    threads?: number;
    lightgbmLib?: string;
    xgboostLib?: string;
    libraryDirs?: string[];
    scorer?: 'auto' | 'library';
    maxFileBytes?: number;
  }
  export interface DirectoryOptions extends NativeOptions {
    weights?: NativeWeights;
    threshold?: number;
    verifyChecksums?: boolean;
  }
  /** The metadata's informational fields, typed by the core's reader (native/core/metadata.cc). */
  export interface DirectoryMetadata {
    createdAt?: string;
    status?: string;
    trainingVersions: Record<string, string>;
    performanceMetrics?: Record<string, unknown>;
    driftReference?: DriftReference;
  }
  /** One reference histogram (docs/metadata.md#drift_reference), checked by the core. */
  export interface DriftHistogram {
    name: string;
    edges: number[];
    counts: number[];
    missing: number;
  }
  export interface DriftReference {
    featuresFrom: string;
    scoresFrom: string;
    features: DriftHistogram[];
    scores: DriftHistogram[];
  }
  /** The core's sliding-window histograms (native/addon/drift_wrap.cc). */
  export interface DriftWindow {
    add(data: Input, rows: number): void;
    addColumns(columns: Float64Array[]): void;
    /** The column's bins, then its missing count. */
    counts(column: number): Float64Array;
    rows(): number;
    seen(): number;
    reset(): void;
  }
  export interface DriftWindowClass {
    new (edges: Float64Array[], window: number): DriftWindow;
  }
  export interface LoadedDirectory {
    ensemble: Ensemble;
    metadataPath: string;
    legacyMetadata: boolean;
    metadata: DirectoryMetadata;
    threshold: number;
    files: { role: string; path: string; sha256: string; format: string }[];
  }
  /** One problem of a model directory: the code and message load would throw, the file and field. */
  export interface DirectoryProblem {
    code: ErrorCode;
    file: string;
    field: string;
    message: string;
  }
  export interface DirectoryReport {
    directory: string;
    metadataFile?: string;
    ok: boolean;
    problems: DirectoryProblem[];
    checked: string[];
  }

  /** The metadata and each file's checksum, no model parsed (native/core/model_directory.cc). */
  export interface FilesReport {
    directory: string;
    metadataFile?: string;
    createdAt?: string;
    featureNames: string[];
    ok: boolean;
    problems: DirectoryProblem[];
    files: { role: string; path: string; sha256: string }[];
    /** Members whose metadata declares no sha256 (legacy metadata): their completeness is unknown. */
    unverified: string[];
  }

  /** The core's TechnicalFeatures: candles in, the 12 features out (native/addon/features_wrap.cc). */
  export interface FeatureStream {
    /** Writes 12 values to `out`; false (and 12 NaN) for a warm-up candle. */
    push(open: number, high: number, low: number, close: number, volume: number, out: Float64Array): boolean;
    pushColumns(
      open: Float64Array,
      high: Float64Array,
      low: Float64Array,
      close: Float64Array,
      volume: Float64Array,
      nanWarmup: boolean,
      out: Float64Array,
    ): { rows: number; warmup: number };
    rowsFor(n: number, nanWarmup: boolean): number;
    reset(): void;
    bars(): number;
  }
  export interface FeatureStreamClass {
    new (): FeatureStream;
    readonly names: readonly string[];
    readonly warmupBars: number;
  }

  /** Feature states of many series, one per key (native/addon/features_wrap.cc). */
  export interface KeyedFeatureStream {
    /** Rows of `keys.length` candles into `out` (n × 12); `scored[i]` = 1 unless candle i is a warm-up one. Errors carry `item`. */
    pushColumns(
      keys: Uint32Array,
      open: Float64Array,
      high: Float64Array,
      low: Float64Array,
      close: Float64Array,
      volume: Float64Array,
      nanWarmup: boolean,
      out: Float64Array,
      scored: Uint8Array,
    ): { rows: number; warmup: number };
    bars(key: number): number;
    size(): number;
  }

  export interface Addon {
    setErrorFactory(factory: (code: string, message: string) => Error): void;
    emptyCall(a?: unknown, b?: unknown): void;
    FeatureStream: FeatureStreamClass;
    KeyedFeatureStream: new () => KeyedFeatureStream;
    DriftWindow: DriftWindowClass;
    loadLightGBM(source: Source, options: NativeOptions, async: true): Promise<LightGBMBooster>;
    loadLightGBM(source: Source, options: NativeOptions, async: false): LightGBMBooster;
    loadXGBoost(source: Source, options: NativeOptions, async: true): Promise<XGBoostBooster>;
    loadXGBoost(source: Source, options: NativeOptions, async: false): XGBoostBooster;
    loadForest(source: Source, options: NativeOptions, async: true): Promise<Forest>;
    loadForest(source: Source, options: NativeOptions, async: false): Forest;
    loadModelDirectory(dir: string, options: DirectoryOptions, async: true): Promise<LoadedDirectory>;
    loadModelDirectory(dir: string, options: DirectoryOptions, async: false): LoadedDirectory;
    validateModelDirectory(dir: string, options: DirectoryOptions, async: true): Promise<DirectoryReport>;
    validateModelDirectory(dir: string, options: DirectoryOptions, async: false): DirectoryReport;
    checkModelFiles(dir: string, options: DirectoryOptions, async: true): Promise<FilesReport>;
    checkModelFiles(dir: string, options: DirectoryOptions, async: false): FilesReport;
    makeEnsemble(
      lightgbm: LightGBMBooster,
      xgboost: XGBoostBooster,
      forest: Forest,
      options: { featureNames: string[]; weights: NativeWeights; threads: number },
    ): Ensemble;
  }
}

/** The oldest glibc the prebuilt addons load on (scripts/toolchain.json, docs/prebuilds.md). @internal */
export const GLIBC_FLOOR = '2.28';

/**
 * Why the addon file node-gyp-build picked cannot load here, or null: a prebuild tagged `glibc`
 * on a Linux whose C library is not glibc (musl: node-gyp-build recognises only Alpine), or on a
 * glibc older than the prebuilds need. `glibc`: this process's glibc version, undefined when the
 * C library is another one. Said before dlopen, whose own message would be cryptic. @internal
 */
export function libcMismatch(file: string, glibc: string | undefined): string | null {
  if (!basename(file).split('.').includes('glibc')) return null;
  if (glibc === undefined) {
    return `${file} is built for glibc, and this system's C library is not glibc (musl?); build the addon from source as docs/install.md says`;
  }
  const [major = 0, minor = 0] = glibc.split('.').map(Number);
  const [fMajor = 0, fMinor = 0] = GLIBC_FLOOR.split('.').map(Number);
  if (major < fMajor || (major === fMajor && minor < fMinor)) {
    return `${file} needs glibc >= ${GLIBC_FLOOR}, and this system has glibc ${glibc}; build the addon from source as docs/install.md says`;
  }
  return null;
}

/** This process's glibc version, undefined under another C library (Linux). */
function glibcVersion(): string | undefined {
  const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
  return report?.header?.glibcVersionRuntime;
}

/** The package's root directory (holds package.json, models/, native/). @internal */
export const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function loadAddon(): { addon: Binding.Addon; path: string } {
  const require = createRequire(import.meta.url);
  const override = process.env.PRODUCTION_ENSEMBLE_ADDON;
  const tried: string[] = [];
  try {
    if (override) {
      tried.push(`PRODUCTION_ENSEMBLE_ADDON=${override}`);
      return { addon: require(override) as Binding.Addon, path: resolve(override) };
    }
    const nodeGypBuild = require('node-gyp-build') as { path(dir: string): string };
    tried.push(`${join(packageRoot, 'build', 'Release')} and ${join(packageRoot, 'prebuilds', `${process.platform}-${process.arch}`)}`);
    const path = nodeGypBuild.path(packageRoot);
    // A report costs a few milliseconds: taken only for a prebuild that says it needs glibc.
    const tagged = process.platform === 'linux' && basename(path).split('.').includes('glibc');
    const mismatch = tagged ? libcMismatch(path, glibcVersion()) : null;
    if (mismatch) throw new Error(mismatch);
    return { addon: require(path) as Binding.Addon, path };
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new LibraryLoadError(
      `could not load the production-ensemble native addon for ${process.platform}-${process.arch} (Node ${process.versions.node}).\n` +
        `Searched: ${tried.join('; ')}\nReason: ${reason}\n` +
        'To fix: no prebuilt addon matches this platform, so build it from source as docs/install.md in the package says ' +
        '(cmake, a C++17 compiler and three build packages, then `npm rebuild production-ensemble`); ' +
        'in a clone of the repository, `npm run build:native`.',
    );
  }
}

let cached: { addon: Binding.Addon; libraryDirs: string[] } | undefined;

/** The addon, loaded on first use, with the directories to search for LightGBM/XGBoost. @internal */
export function binding(): { addon: Binding.Addon; libraryDirs: string[] } {
  if (cached) return cached;
  const { addon, path } = loadAddon();
  addon.setErrorFactory(createError);
  const platformDir = join(packageRoot, 'native', 'lib', `${process.platform}-${process.arch}`);
  const libraryDirs = [dirname(path), platformDir].filter((d, i, all) => all.indexOf(d) === i);
  cached = { addon, libraryDirs };
  return cached;
}
