/**
 * The one table of the package's error codes. Everything else follows it: the error classes
 * (src/errors.ts, type-checked against it), the C++ core's `ErrorCode` enum
 * (native/include/ensemble/error_codes.inc), the table of docs/errors.md, the CLI's exit codes
 * and their table in docs/cli.md — those files are written by `npm run gen:errors`, and
 * test/05.error-table.test.ts fails when any of them disagrees with this table.
 *
 * Codes are never renamed or removed. The entries with a `core` name keep their order: it gives
 * the C++ enum's values, so a new core code goes after the last core entry.
 */

/** What docs/errors.md and the C++ enum say about a code. */
export interface ErrorCodeDoc {
  /** One line: the C++ enumerator's comment. */
  readonly summary: string;
  /** When it is thrown (docs/errors.md, Markdown). */
  readonly when: string;
  /** Example messages (docs/errors.md). */
  readonly examples: readonly string[];
}

/** One code: its class, its CLI exit code, the core enumerator (if the C++ core throws it), docs. */
export interface ErrorCodeEntry extends ErrorCodeDoc {
  /** The class whose instances carry this code (src/errors.ts). */
  readonly className: string;
  /** The `production-ensemble` command's exit status for this error. */
  readonly exitCode: number;
  /** The C++ enumerator of `ensemble::core::ErrorCode`, when the core can throw this code. */
  readonly core?: string;
}

// The prose stays typed `string` (not literal types), so the declarations stay short.
function doc(summary: string, when: string, ...examples: string[]): ErrorCodeDoc {
  return { summary, when, examples };
}

/**
 * Every code the package throws, with its class and CLI exit code.
 * @example
 * ERROR_CODES.ERR_FEATURE_MISMATCH.exitCode // 3
 */
export const ERROR_CODES = {
  ERR_INVALID_ARGUMENT: {
    className: 'InvalidArgumentError',
    exitCode: 2,
    core: 'kInvalidArgument',
    ...doc(
      'a caller passed something unusable (bad weights, a NUL in a path, a null buffer)',
      'weights given as an option or to `fromModels` that are negative, not finite or do not sum to 1 (within 1e-6); ' +
        'a C++ caller passed something unusable (null data, `max_file_bytes` 0, a thread count outside [0, 1024]; JS gets a `RangeError` for the same count); a path with a NUL byte; ' +
        '`score` / `scoreTable`: an input that does not exist or names no table file (a directory or glob), an unknown ' +
        'table format, mixed CSV and Parquet files, options that do not go together (`resume` without `partitionBy`, ' +
        '`partitionBy` without a symbol column)',
      'weights sum to 7, not 1 (P(up) would not be a probability; ...)',
      'weights.xgboost must be a finite number >= 0, got -0.2',
      'threads must be an integer in [0, 1024], got 20000',
    ),
  },
  ERR_FEATURE_MISMATCH: {
    className: 'FeatureMismatchError',
    exitCode: 3,
    core: 'kFeatureMismatch',
    ...doc(
      "input width differs from the model's feature count",
      'input width differs from the model; a `number[][]` row of the wrong length; an unknown or missing feature name in a ' +
        'record; the CLI: an input file without one of the feature columns',
      'expected 12 features, got 11',
      'row 1 has 11 values: expected 12 features, got 11',
      "row 0: unknown feature 'rsi_15' (expected: close, ...)",
      "row 0: missing feature 'macd'",
    ),
  },
  ERR_NON_FINITE_INPUT: {
    className: 'InvalidInputError',
    exitCode: 4,
    core: 'kNonFiniteInput',
    ...doc(
      '+-Inf where the model refuses it (XGBoost, forest, ensemble), NaN where a forest refuses it',
      '±Inf given to XGBoost, the forest or the ensemble (LightGBM alone scores it as LightGBM does); ' +
        'NaN given to a forest that was not trained to accept missing values',
      'row 2, feature 3 (rsi_14): +Inf is not allowed (XGBoost and scikit-learn cannot score infinite values; use NaN for a missing value)',
    ),
  },
  ERR_MODEL_FORMAT: {
    className: 'ModelFormatError',
    exitCode: 5,
    core: 'kModelFormat',
    ...doc(
      'a model file is malformed, inconsistent or hostile',
      "a model file is malformed, truncated, inconsistent or hostile; the package's own parser names the file, the tree and " +
        'the problem before any library sees the bytes. Also a model file larger than `maxFileBytes` (default 1 GiB), refused unread',
      'models/x/lightgbm.txt: tree 3: left_child[0] = 999 is out of range ...',
      'random_forest.forest: checksum mismatch (file corrupt or truncated)',
      'cannot read model file models/x/random_forest.forest: it is 2147483648 bytes, more than the limit of 1073741824 (the maxFileBytes option)',
    ),
  },
  ERR_MODEL_NOT_FOUND: {
    className: 'ModelNotFoundError',
    exitCode: 6,
    core: 'kModelNotFound',
    ...doc(
      'a model file or directory does not exist / cannot be read',
      'a model file or directory does not exist or cannot be read; a path that is not a regular file ' +
        '(a FIFO, a device, a socket, a directory) is refused before any read',
      'cannot read model file models/x/xgboost.json: No such file or directory',
      'model directory models/y does not exist',
      'cannot read model file models/x/lightgbm.txt: it is a FIFO, not a regular file',
    ),
  },
  ERR_METADATA: {
    className: 'MetadataError',
    exitCode: 7,
    core: 'kMetadata',
    ...doc(
      'metadata disagrees with itself or with the models',
      'the metadata is invalid or disagrees with the models (feature count or names, checksums, model type, weights that are ' +
        'negative or do not sum to 1, a file name that is not a plain name in the directory, a non-binary model in the ' +
        'ensemble; `fromModels` given a feature name twice); a metadata file above 16 MiB (or `maxFileBytes`). ' +
        'Every rule: [metadata.md](metadata.md#what-a-reader-checks)',
      'models/x/lightgbm.txt: sha256 is 1f2e... but models/x/production_model_metadata.json says 9ab0... (the file changed after the metadata was written)',
      'models/x/production_model_metadata.json: model_weights sum to 0, not 1 (...)',
    ),
  },
  ERR_LIBRARY_LOAD: {
    className: 'LibraryLoadError',
    exitCode: 8,
    core: 'kLibraryLoad',
    ...doc(
      'lib_lightgbm / libxgboost could not be found or loaded',
      'lib_lightgbm / libxgboost (or the addon itself) cannot be found or loaded; the message lists every place searched and ' +
        'how to get the library',
      'could not load the LightGBM library. Searched: - LIGHTGBM_LIB=/x/lib_lightgbm.so: file not found ...',
    ),
  },
  ERR_LIBRARY_CALL: {
    className: 'LibraryCallError',
    exitCode: 9,
    core: 'kLibraryCall',
    ...doc(
      'a LightGBM / XGBoost C API call returned an error',
      "a LightGBM / XGBoost C API call failed; the message carries the library's own last error",
      'XGBoost predict: ...',
    ),
  },
  ERR_CLOSED: {
    className: 'ClosedError',
    exitCode: 10,
    core: 'kClosed',
    ...doc('the model was used after close()', 'a model was used after `close()`', 'ProductionEnsemble is closed'),
  },
  ERR_INTERNAL: {
    className: 'InternalError',
    exitCode: 70,
    core: 'kInternal',
    ...doc(
      'a bug in this package',
      "a bug in this package (e.g. the parser and the library disagree on a model's shape): please report it. " +
        'The CLI also exits 70 on an error that is not an `EnsembleError`',
    ),
  },
  ERR_OUT_OF_MEMORY: {
    className: 'OutOfMemoryError',
    exitCode: 11,
    core: 'kOutOfMemory',
    ...doc(
      'memory for a call could not be allocated',
      'memory for a call could not be allocated (e.g. the copy of a huge async batch)',
      'out of memory',
    ),
  },
  ERR_NOT_EXPLAINABLE: {
    className: 'NotExplainableError',
    exitCode: 20,
    core: 'kNotExplainable',
    ...doc(
      'the model cannot be explained exactly (TreeSHAP)',
      '`explain` on a model whose trees TreeSHAP cannot follow exactly, or whose file lacks the node covers it needs: ' +
        'categorical splits, linear trees, more than one output per row, a forest file of format 1.0 (no node weights), a ' +
        'model without node counts or hessians ([explain.md](explain.md))',
      'the LightGBM model cannot be explained: linear trees',
      'the forest file has no node_weights record (format 1.0; re-export it with tools/export_sklearn_forest.py to record the node weights TreeSHAP needs)',
    ),
  },
  ERR_INVALID_INPUT_FILE: {
    className: 'InvalidInputFileError',
    exitCode: 12,
    ...doc(
      "the score command's input file is malformed",
      "the `score` command's (and `scoreTable`'s) input: a malformed CSV line, a line over 2,000,000 bytes, a candle not " +
        'after the previous candle of its symbol, a timestamp that is not a time or out of range (years 1685-2255), a row ' +
        'with an empty symbol, files of one input with different headers; each names the file and line (Parquet: row) and ' +
        'the symbol',
      'data.csv: line 202: the line is 50,000,000 bytes long, over the limit of 2,000,000 bytes per line (use --skip-invalid to skip such lines)',
      'all.csv: line 5012: symbol ETHUSDT: timestamp 2024-01-03T00:00:00.000Z is not after the previous candle of ETHUSDT ' +
        '(2024-01-03T01:00:00.000Z): candles must be in increasing time order within each symbol to compute features',
      'all.csv: line 33: the timestamp is not a time (ISO 8601 text such as 2024-01-01T00:00:00Z, or a number since 1970)',
    ),
  },
  ERR_OUTPUT_FILE: {
    className: 'OutputFileError',
    exitCode: 13,
    ...doc(
      "the score command's output cannot be written",
      "the `score` command's output cannot be written: it is the input (by any path), not a regular file, read-only, " +
        'its name is too long, its directory refuses a new file, or a write or the final rename fails; a partitioned output ' +
        '(`--partition-by`) that is a file, is not empty without `--resume`, was written with other models or options (on ' +
        '`--resume`), or holds an input file',
      'cannot write out/x.csv: the file is larger than this process may write (file size limit) (EFBIG)',
      'cannot write scores/: it is not empty (use --resume to go on with an interrupted run, or choose an empty directory)',
    ),
  },
  ERR_UNSAFE_PICKLE: {
    className: 'UnsafePickleError',
    exitCode: 14,
    ...doc(
      'migrate: the pickle names something outside the allow-list',
      '`migrate`: the pickle names a class or function outside the allow-list (docs/migrate.md); nothing it names was called',
      'cannot migrate old.pkl: old.pkl: refused to unpickle posix.system: this tool reads only ...',
    ),
  },
  ERR_MIGRATE: {
    className: 'MigrateError',
    exitCode: 15,
    ...doc(
      'migrate: the pickle cannot be migrated',
      '`migrate`: the pickle holds no ensemble this package can reproduce, `out-dir` is not empty (without `--force`), ' +
        'or the migrated directory failed its check (it is discarded; an existing `out-dir` is left as it was)',
      'cannot migrate old.pkl: no LightGBM model (LGBMClassifier or lightgbm.Booster) found in the pickle',
    ),
  },
  ERR_PYTHON_NOT_FOUND: {
    className: 'PythonNotFoundError',
    exitCode: 16,
    ...doc(
      'migrate: no Python with the libraries it needs',
      '`migrate`: no Python that can import lightgbm, xgboost and scikit-learn; the message lists what was tried and how to ' +
        'install them',
      'migrate needs a Python with lightgbm, xgboost and scikit-learn ... Tried: ...',
    ),
  },
  ERR_MISSING_DEPENDENCY: {
    className: 'MissingDependencyError',
    exitCode: 17,
    ...doc(
      'the CLI or scoreTable: an optional package it needs is not installed',
      'the `production-ensemble` command needs a package that a library install leaves out (`commander`; for `score` also ' +
        '`@duckdb/node-api`, `@duckdb/node-bindings`, `apache-arrow`, `parquet-wasm` and `cli-progress`), or `scoreTable` / ' +
        '`scoreBatches` one of the table packages; the message gives the `npm install` line ([install.md](install.md))',
      'the score command needs @duckdb/node-api (not installed), ...: installing production-ensemble as a library leaves out the packages of its command. Install them beside it: npm install ...',
      'scoring tables needs parquet-wasm (not installed): ... Install them beside it: npm install @duckdb/node-api@^1.5.6-r.1 ...',
    ),
  },
  ERR_SELF_CHECK: {
    className: 'SelfCheckError',
    exitCode: 18,
    ...doc(
      'a reloaded model version failed its check before it was swapped in',
      '`reload` (and watch mode): the new version loaded but fails the check run before the swap: its feature names or count ' +
        'differ from the version serving (rows would land in the wrong columns), its probe rows do not score to probabilities ' +
        'or the batch and single-row paths disagree, or the `selfCheck` option threw. The old version keeps serving',
      'models/v2: the new version has 11 features, the serving version 12 (reload refuses a change of features: load a new ensemble instead)',
      "models/v2: selfCheck failed: expected P(up) 0.53 for the known row, got 0.12",
    ),
  },
  ERR_MODEL_STORE: {
    className: 'ModelStoreError',
    exitCode: 19,
    ...doc(
      'a model store (versions, current pointer) is broken or an operation on it is impossible',
      'a model store ([serving.md](serving.md#the-model-store)): a version that does not exist or is not a plain name, a ' +
        '`current` pointer that names no version, `rollback` with no previous version, `publish` to a version that exists, ' +
        '`promote` of a version whose files do not match its checksums or whose features differ from the current one (without `--force`)',
      "models: no version 'v9' (versions: v1, v2)",
      'models: nothing to roll back to (no previous version recorded)',
    ),
  },
} as const satisfies Record<string, ErrorCodeEntry>;

/**
 * The stable `code` of every error the package throws on purpose (docs/errors.md).
 * @example
 * function retryable(code: ErrorCode): boolean { return code === 'ERR_OUT_OF_MEMORY'; }
 */
export type ErrorCode = keyof typeof ERROR_CODES;

/**
 * The CLI's exit status for an error: the table's for a code of the table, else 70 (an
 * unexpected error is a bug, like `ERR_INTERNAL`).
 * @internal
 */
export function exitCodeOf(code: unknown): number {
  const entry = typeof code === 'string' && Object.hasOwn(ERROR_CODES, code) ? ERROR_CODES[code as ErrorCode] : ERROR_CODES.ERR_INTERNAL;
  return entry.exitCode;
}
