/**
 * How models are loaded: the options every loader takes, checked here and turned into what the
 * addon reads, and where a model comes from (a path or bytes).
 */
import { type Binding, binding } from './binding.js';

/**
 * Where a model comes from: a file path, or the bytes of a model file.
 * @example
 * await XGBoostModel.load(readFileSync('model.ubj')); // same as XGBoostModel.load('model.ubj')
 */
export type ModelSource = string | Uint8Array;

/**
 * The largest `threads` accepted. Larger values are refused as a mistake; accepted values are
 * capped at the machine's hardware threads (scoring is CPU-bound, and the libraries' OpenMP
 * runtimes abort the process when the system refuses a thread).
 */
export const MAX_THREADS = 1024;

/**
 * Options shared by every loader.
 * @example
 * await LightGBMModel.load('model.txt', { threads: 2, scorer: 'library' });
 */
export interface ModelLoadOptions {
  /**
   * Threads for batch scoring: an integer in [0, MAX_THREADS]; 0 or absent = all cores, and
   * more than the machine has is capped at that. Single rows always use one.
   */
  threads?: number;
  /** Path of lib_lightgbm.so to use (default: LIGHTGBM_LIB, then the bundled one, then the system's). */
  lightgbmLib?: string;
  /** Path of libxgboost.so to use (default: XGBOOST_LIB, then the bundled one, then the system's). */
  xgboostLib?: string;
  /**
   * Who scores LightGBM and XGBoost models. `'auto'` (default): the package's tree engine when it
   * supports the model and, at load, scores probe rows built from the model's own thresholds
   * bit-identically to the library; otherwise the library's C API. `'library'`: always the C API.
   * A model's `scorer` / `scorerNote` say which is in use and why.
   */
  scorer?: 'auto' | 'library';
  /**
   * The largest model file read, in bytes (default 1 GiB): a larger file is refused unread
   * (`ERR_MODEL_FORMAT`). Only regular files are read: a FIFO, a device or a directory is
   * `ERR_MODEL_NOT_FOUND`. A directory's metadata file is capped at 16 MiB, or at this when smaller.
   */
  maxFileBytes?: number;
}

/** @internal Throws a RangeError unless `threads` is undefined or an integer in [0, MAX_THREADS]. */
export function checkThreads(threads: unknown): void {
  if (threads !== undefined && (!Number.isInteger(threads) || (threads as number) < 0 || (threads as number) > MAX_THREADS)) {
    throw new RangeError(`threads must be an integer in [0, ${MAX_THREADS}], got ${String(threads)}`);
  }
}

/** @internal */
export function nativeOptions(options: ModelLoadOptions | undefined): Binding.NativeOptions {
  const threads = options?.threads;
  checkThreads(threads);
  const out: Binding.NativeOptions = { libraryDirs: binding().libraryDirs };
  if (threads !== undefined) out.threads = threads;
  if (options?.lightgbmLib !== undefined) out.lightgbmLib = options.lightgbmLib;
  if (options?.xgboostLib !== undefined) out.xgboostLib = options.xgboostLib;
  const maxFileBytes = options?.maxFileBytes;
  if (maxFileBytes !== undefined) {
    if (!Number.isSafeInteger(maxFileBytes) || maxFileBytes < 1) {
      throw new RangeError(`maxFileBytes must be a positive integer, got ${maxFileBytes}`);
    }
    out.maxFileBytes = maxFileBytes;
  }
  const scorer = options?.scorer;
  if (scorer !== undefined) {
    if (scorer !== 'auto' && scorer !== 'library') {
      throw new TypeError(`scorer must be 'auto' or 'library', got ${String(scorer)}`);
    }
    out.scorer = scorer;
  }
  return out;
}

/** @internal */
export function toSource(source: ModelSource, what: string): Binding.Source {
  if (typeof source === 'string') return { path: source };
  if (source instanceof Uint8Array) return { bytes: source, name: `<${what} buffer>` };
  throw new TypeError(`${what} source must be a file path or a Uint8Array/Buffer`);
}
