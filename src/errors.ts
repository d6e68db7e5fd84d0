/**
 * The package's error classes. Every error has a stable string `code` (docs/errors.md); native
 * code builds the same classes through {@link createError}, handed to the addon at start-up.
 */

/**
 * Base class of every error this package throws on purpose.
 * @example
 * try { model.predictProba(rows) } catch (e) { if (e instanceof EnsembleError) console.log(e.code) }
 */
export class EnsembleError extends Error {
  /** Stable machine-readable code, e.g. `ERR_FEATURE_MISMATCH`. */
  readonly code: string;
  constructor(message: string, code = 'ERR_ENSEMBLE') {
    super(message);
    this.code = code;
    Error.captureStackTrace?.(this, new.target);
  }
}
EnsembleError.prototype.name = 'EnsembleError';

/** A model file is malformed, inconsistent, truncated or hostile (`ERR_MODEL_FORMAT`). */
export class ModelFormatError extends EnsembleError {}
ModelFormatError.prototype.name = 'ModelFormatError';

/** A model file or directory does not exist or cannot be read (`ERR_MODEL_NOT_FOUND`). */
export class ModelNotFoundError extends EnsembleError {}
ModelNotFoundError.prototype.name = 'ModelNotFoundError';

/** The metadata is invalid or disagrees with the model files (`ERR_METADATA`). */
export class MetadataError extends EnsembleError {}
MetadataError.prototype.name = 'MetadataError';

/** Input rows do not have the model's feature count or names (`ERR_FEATURE_MISMATCH`). */
export class FeatureMismatchError extends EnsembleError {}
FeatureMismatchError.prototype.name = 'FeatureMismatchError';

/** An input value the model refuses: ±Inf, or NaN where not allowed (`ERR_NON_FINITE_INPUT`). */
export class InvalidInputError extends EnsembleError {}
InvalidInputError.prototype.name = 'InvalidInputError';

/** lib_lightgbm / libxgboost / the addon could not be loaded (`ERR_LIBRARY_LOAD`). */
export class LibraryLoadError extends EnsembleError {}
LibraryLoadError.prototype.name = 'LibraryLoadError';

/** A LightGBM or XGBoost C API call failed (`ERR_LIBRARY_CALL`). */
export class LibraryCallError extends EnsembleError {}
LibraryCallError.prototype.name = 'LibraryCallError';

/** The model was used after `close()` (`ERR_CLOSED`). */
export class ClosedError extends EnsembleError {}
ClosedError.prototype.name = 'ClosedError';

/**
 * A pickle given to `migrate` names a class or function outside the allow-list; nothing it names
 * was called (`ERR_UNSAFE_PICKLE`).
 */
export class UnsafePickleError extends EnsembleError {}
UnsafePickleError.prototype.name = 'UnsafePickleError';

const classes: Record<string, new (message: string, code: string) => EnsembleError> = {
  ERR_MODEL_FORMAT: ModelFormatError,
  ERR_MODEL_NOT_FOUND: ModelNotFoundError,
  ERR_METADATA: MetadataError,
  ERR_FEATURE_MISMATCH: FeatureMismatchError,
  ERR_NON_FINITE_INPUT: InvalidInputError,
  ERR_LIBRARY_LOAD: LibraryLoadError,
  ERR_LIBRARY_CALL: LibraryCallError,
  ERR_CLOSED: ClosedError,
  ERR_UNSAFE_PICKLE: UnsafePickleError,
};

/**
 * Builds the error class that matches `code` (used by the native addon too).
 * @internal
 */
export function createError(code: string, message: string): EnsembleError {
  const Cls = classes[code] ?? EnsembleError;
  return new Cls(message, code);
}

/**
 * Moves a native async failure onto an error created at the call site, so that the rejection's
 * stack shows the caller, not the event loop.
 * @internal
 */
export function withCallerStack(error: unknown, callSite: Error): unknown {
  if (error instanceof Error && callSite.stack) {
    const lines = callSite.stack.split('\n').slice(1).join('\n');
    error.stack = `${error.name}: ${error.message}\n${lines}`;
  }
  return error;
}
