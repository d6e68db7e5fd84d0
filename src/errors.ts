/**
 * The package's error classes: one per code of the table in src/error-codes.ts, each owning its
 * code. Native code builds the same classes through {@link createError}, handed to the addon at
 * start-up.
 */
import type { ErrorCode } from './error-codes.js';

export type { ErrorCode } from './error-codes.js';

/**
 * Base class of every error this package throws on purpose. `code` is one of the documented codes
 * (docs/errors.md); each subclass narrows it to its own. (Not generic: `e instanceof EnsembleError`
 * on an `unknown` would make a type parameter `any`, and `code` with it.)
 * @example
 * try {
 *   model.predictProba(rows);
 * } catch (e) {
 *   if (e instanceof EnsembleError && e.code === 'ERR_FEATURE_MISMATCH') console.error(e.message);
 *   else throw e;
 * }
 */
export class EnsembleError extends Error {
  /** Stable machine-readable code, e.g. `ERR_FEATURE_MISMATCH`. */
  readonly code: ErrorCode;
  constructor(message: string, code: ErrorCode) {
    super(message);
    this.code = code;
    Error.captureStackTrace?.(this, new.target);
  }
}
EnsembleError.prototype.name = 'EnsembleError';

/**
 * Something the caller passed is unusable: weights that do not sum to 1, a NUL byte in a path, a
 * CLI input file that does not exist (`ERR_INVALID_ARGUMENT`).
 * @example
 * await ProductionEnsemble.load(dir, { weights: { lightgbm: 1, xgboost: 1, random_forest: 1 } }); // throws
 */
export class InvalidArgumentError extends EnsembleError {
  declare readonly code: 'ERR_INVALID_ARGUMENT';
  constructor(message: string) {
    super(message, 'ERR_INVALID_ARGUMENT');
  }
}
InvalidArgumentError.prototype.name = 'InvalidArgumentError';

/**
 * Input rows do not have the model's feature count or names (`ERR_FEATURE_MISMATCH`).
 * @example
 * model.predictProba([[1, 2, 3]]); // FeatureMismatchError: row 0 has 3 values: expected 12 features, got 3
 */
export class FeatureMismatchError extends EnsembleError {
  declare readonly code: 'ERR_FEATURE_MISMATCH';
  constructor(message: string) {
    super(message, 'ERR_FEATURE_MISMATCH');
  }
}
FeatureMismatchError.prototype.name = 'FeatureMismatchError';

/**
 * An input value the model refuses: ±Inf, or NaN where not allowed (`ERR_NON_FINITE_INPUT`).
 * @example
 * model.predictOne(new Float64Array(12).fill(Infinity)); // InvalidInputError
 */
export class InvalidInputError extends EnsembleError {
  declare readonly code: 'ERR_NON_FINITE_INPUT';
  constructor(message: string) {
    super(message, 'ERR_NON_FINITE_INPUT');
  }
}
InvalidInputError.prototype.name = 'InvalidInputError';

/**
 * A model file is malformed, inconsistent, truncated or hostile (`ERR_MODEL_FORMAT`).
 * @example
 * LightGBMModel.fromString('not a model'); // ModelFormatError
 */
export class ModelFormatError extends EnsembleError {
  declare readonly code: 'ERR_MODEL_FORMAT';
  constructor(message: string) {
    super(message, 'ERR_MODEL_FORMAT');
  }
}
ModelFormatError.prototype.name = 'ModelFormatError';

/**
 * A model file or directory does not exist or cannot be read (`ERR_MODEL_NOT_FOUND`).
 * @example
 * await ProductionEnsemble.load('/no/such/dir'); // ModelNotFoundError
 */
export class ModelNotFoundError extends EnsembleError {
  declare readonly code: 'ERR_MODEL_NOT_FOUND';
  constructor(message: string) {
    super(message, 'ERR_MODEL_NOT_FOUND');
  }
}
ModelNotFoundError.prototype.name = 'ModelNotFoundError';

/**
 * The metadata is invalid or disagrees with the model files (`ERR_METADATA`).
 * @example
 * await ProductionEnsemble.load(dirWithEditedModel); // MetadataError: ... sha256 is ... but ... says ...
 */
export class MetadataError extends EnsembleError {
  declare readonly code: 'ERR_METADATA';
  constructor(message: string) {
    super(message, 'ERR_METADATA');
  }
}
MetadataError.prototype.name = 'MetadataError';

/**
 * lib_lightgbm / libxgboost / the addon could not be loaded (`ERR_LIBRARY_LOAD`).
 * @example
 * await LightGBMModel.load(file, { lightgbmLib: '/wrong/lib_lightgbm.so' }); // LibraryLoadError
 */
export class LibraryLoadError extends EnsembleError {
  declare readonly code: 'ERR_LIBRARY_LOAD';
  constructor(message: string) {
    super(message, 'ERR_LIBRARY_LOAD');
  }
}
LibraryLoadError.prototype.name = 'LibraryLoadError';

/**
 * A LightGBM or XGBoost C API call failed; the message carries the library's error (`ERR_LIBRARY_CALL`).
 * @example
 * if (e instanceof LibraryCallError) console.error('the library said:', e.message);
 */
export class LibraryCallError extends EnsembleError {
  declare readonly code: 'ERR_LIBRARY_CALL';
  constructor(message: string) {
    super(message, 'ERR_LIBRARY_CALL');
  }
}
LibraryCallError.prototype.name = 'LibraryCallError';

/**
 * The model was used after `close()` (`ERR_CLOSED`).
 * @example
 * model.close(); model.predictProba(rows); // ClosedError: ProductionEnsemble is closed
 */
export class ClosedError extends EnsembleError {
  declare readonly code: 'ERR_CLOSED';
  constructor(message: string) {
    super(message, 'ERR_CLOSED');
  }
}
ClosedError.prototype.name = 'ClosedError';

/**
 * A bug in this package; please report it with the message (`ERR_INTERNAL`).
 * @example
 * if (e instanceof InternalError) reportBug(e);
 */
export class InternalError extends EnsembleError {
  declare readonly code: 'ERR_INTERNAL';
  constructor(message: string) {
    super(message, 'ERR_INTERNAL');
  }
}
InternalError.prototype.name = 'InternalError';

/**
 * Memory for a call could not be allocated, e.g. the copy of a huge async batch (`ERR_OUT_OF_MEMORY`).
 * @example
 * if (e instanceof OutOfMemoryError) await scoreInSmallerBatches(rows);
 */
export class OutOfMemoryError extends EnsembleError {
  declare readonly code: 'ERR_OUT_OF_MEMORY';
  constructor(message: string) {
    super(message, 'ERR_OUT_OF_MEMORY');
  }
}
OutOfMemoryError.prototype.name = 'OutOfMemoryError';

/**
 * `explain` on a model TreeSHAP cannot explain exactly, or whose file lacks the node covers it
 * needs (`ERR_NOT_EXPLAINABLE`); the message says why.
 * @example
 * rf.explain(rows); // NotExplainableError: the forest file has no node_weights record (format 1.0; ...)
 */
export class NotExplainableError extends EnsembleError {
  declare readonly code: 'ERR_NOT_EXPLAINABLE';
  constructor(message: string) {
    super(message, 'ERR_NOT_EXPLAINABLE');
  }
}
NotExplainableError.prototype.name = 'NotExplainableError';

/**
 * The `score` command's input file is malformed: a bad CSV line, an over-long line, candles out
 * of time order (`ERR_INVALID_INPUT_FILE`).
 * @example
 * // production-ensemble score bad.csv  ->  InvalidInputFileError [ERR_INVALID_INPUT_FILE]: bad.csv: line 3: ...
 */
export class InvalidInputFileError extends EnsembleError {
  declare readonly code: 'ERR_INVALID_INPUT_FILE';
  constructor(message: string) {
    super(message, 'ERR_INVALID_INPUT_FILE');
  }
}
InvalidInputFileError.prototype.name = 'InvalidInputFileError';

/**
 * The `score` command's output cannot be written (`ERR_OUTPUT_FILE`).
 * @example
 * // production-ensemble score in.csv -o in.csv  ->  OutputFileError [ERR_OUTPUT_FILE]: cannot write in.csv: ...
 */
export class OutputFileError extends EnsembleError {
  declare readonly code: 'ERR_OUTPUT_FILE';
  constructor(message: string) {
    super(message, 'ERR_OUTPUT_FILE');
  }
}
OutputFileError.prototype.name = 'OutputFileError';

/**
 * A pickle given to `migrate` names a class or function outside the allow-list; nothing it names
 * was called (`ERR_UNSAFE_PICKLE`).
 * @example
 * // production-ensemble migrate hostile.pkl out  ->  UnsafePickleError [ERR_UNSAFE_PICKLE]: ... refused to unpickle posix.system
 */
export class UnsafePickleError extends EnsembleError {
  declare readonly code: 'ERR_UNSAFE_PICKLE';
  constructor(message: string) {
    super(message, 'ERR_UNSAFE_PICKLE');
  }
}
UnsafePickleError.prototype.name = 'UnsafePickleError';

/**
 * `migrate` could not reproduce the pickled ensemble, or its result failed the check (`ERR_MIGRATE`).
 * @example
 * // production-ensemble migrate empty.pkl out  ->  MigrateError [ERR_MIGRATE]: cannot migrate empty.pkl: no LightGBM model ...
 */
export class MigrateError extends EnsembleError {
  declare readonly code: 'ERR_MIGRATE';
  constructor(message: string) {
    super(message, 'ERR_MIGRATE');
  }
}
MigrateError.prototype.name = 'MigrateError';

/**
 * `migrate` found no Python that can import lightgbm, xgboost and scikit-learn (`ERR_PYTHON_NOT_FOUND`).
 * @example
 * // the message lists the Pythons tried and the pip line that installs the libraries
 */
export class PythonNotFoundError extends EnsembleError {
  declare readonly code: 'ERR_PYTHON_NOT_FOUND';
  constructor(message: string) {
    super(message, 'ERR_PYTHON_NOT_FOUND');
  }
}
PythonNotFoundError.prototype.name = 'PythonNotFoundError';

/**
 * The `production-ensemble` command needs a package that a library-only install leaves out
 * (`ERR_MISSING_DEPENDENCY`); the message gives the `npm install` line.
 * @example
 * // npx production-ensemble score x.csv  ->  MissingDependencyError [ERR_MISSING_DEPENDENCY]: ... npm install ...
 */
export class MissingDependencyError extends EnsembleError {
  declare readonly code: 'ERR_MISSING_DEPENDENCY';
  constructor(message: string) {
    super(message, 'ERR_MISSING_DEPENDENCY');
  }
}
MissingDependencyError.prototype.name = 'MissingDependencyError';

/**
 * A reloaded model version failed the check run before it is swapped in; the old version keeps
 * serving (`ERR_SELF_CHECK`).
 * @example
 * try { await model.reload('models/v2'); } catch (e) { if (e instanceof SelfCheckError) alert(e.message); }
 */
export class SelfCheckError extends EnsembleError {
  declare readonly code: 'ERR_SELF_CHECK';
  constructor(message: string) {
    super(message, 'ERR_SELF_CHECK');
  }
}
SelfCheckError.prototype.name = 'SelfCheckError';

/**
 * A model store is broken or an operation on it is impossible: an unknown version, nothing to
 * roll back to, a `current` pointer naming no version (`ERR_MODEL_STORE`).
 * @example
 * await new ModelStore('models').promote('v9'); // ModelStoreError: models: no version 'v9' (versions: v1, v2)
 */
export class ModelStoreError extends EnsembleError {
  declare readonly code: 'ERR_MODEL_STORE';
  constructor(message: string) {
    super(message, 'ERR_MODEL_STORE');
  }
}
ModelStoreError.prototype.name = 'ModelStoreError';

// Typed against the table: a code without a class, or a class under another class's code, does
// not compile.
const classes: { readonly [C in ErrorCode]: new (message: string) => EnsembleError & { readonly code: C } } = {
  ERR_INVALID_ARGUMENT: InvalidArgumentError,
  ERR_FEATURE_MISMATCH: FeatureMismatchError,
  ERR_NON_FINITE_INPUT: InvalidInputError,
  ERR_MODEL_FORMAT: ModelFormatError,
  ERR_MODEL_NOT_FOUND: ModelNotFoundError,
  ERR_METADATA: MetadataError,
  ERR_LIBRARY_LOAD: LibraryLoadError,
  ERR_LIBRARY_CALL: LibraryCallError,
  ERR_CLOSED: ClosedError,
  ERR_INTERNAL: InternalError,
  ERR_OUT_OF_MEMORY: OutOfMemoryError,
  ERR_NOT_EXPLAINABLE: NotExplainableError,
  ERR_INVALID_INPUT_FILE: InvalidInputFileError,
  ERR_OUTPUT_FILE: OutputFileError,
  ERR_UNSAFE_PICKLE: UnsafePickleError,
  ERR_MIGRATE: MigrateError,
  ERR_PYTHON_NOT_FOUND: PythonNotFoundError,
  ERR_MISSING_DEPENDENCY: MissingDependencyError,
  ERR_SELF_CHECK: SelfCheckError,
  ERR_MODEL_STORE: ModelStoreError,
};

/**
 * The error of the class that owns `code` (the addon builds its errors with this). A code outside
 * the table is a bug: it becomes an `InternalError` that names it.
 * @internal
 */
export function createError(code: string, message: string): EnsembleError {
  if (Object.hasOwn(classes, code)) return new classes[code as ErrorCode](message);
  return new InternalError(`${message} (unknown error code ${code})`);
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
