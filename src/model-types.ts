/**
 * What the loaders report about each model: the public shapes behind the model classes'
 * getters (src/models.ts), also what the native addon returns (src/binding.ts).
 */

/**
 * A native library in use: its path and version.
 * @example
 * const { path, version } = lgb.library; // '/…/lib_lightgbm.so', '4.7.0'
 */
export interface LibraryInfo {
  path: string;
  version: string;
}

/**
 * What every model reports: its feature count and the names stored in it (may be empty).
 * @example
 * const d: ModelDescription = { nFeatures: 12, featureNames: [...FEATURE_NAMES] };
 */
export interface ModelDescription {
  nFeatures: number;
  featureNames: string[];
}

/**
 * A LightGBM or XGBoost booster, as its loader read it; the models' getters read it.
 * @example
 * const scorer: BoosterInfo['scorer'] = lgb.scorer; // 'engine' | 'library'
 */
export interface BoosterInfo extends ModelDescription {
  nClasses: number;
  outputWidth: number;
  marginWidth: number;
  numTrees: number;
  objective: string;
  format: string;
  library: LibraryInfo;
  scorer: 'engine' | 'library';
  scorerNote: string;
}

/**
 * A scikit-learn forest in the package's forest format, as its loader read it; the model's getters
 * read it.
 * @example
 * const classes: ForestInfo['classes'] = [...rf.classes]; // e.g. [0, 1]
 */
export interface ForestInfo extends ModelDescription {
  nClasses: number;
  numTrees: number;
  numNodes: number;
  allowsNaN: boolean;
  estimator: string;
  classes: number[];
  metadata: Record<string, string>;
  format: string;
}
