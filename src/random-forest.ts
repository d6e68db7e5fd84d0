/**
 * scikit-learn RandomForestClassifier / ExtraTreesClassifier models in the package's forest
 * format, scored by the package's own engine.
 */
import { type Binding, binding } from './binding.js';
import { type ModelLoadOptions, type ModelSource, nativeOptions, toSource } from './load-options.js';
import type { ForestInfo } from './model-types.js';
import { ScoringModel } from './models.js';
import type { Shape } from './scorer.js';

const forestShape: Shape<ForestInfo> = {
  name: 'RandomForestModel',
  width: (info) => info.nClasses,
  // A binary forest's one number is P(classes[1]), as the boosters' is P(class 1). Any other
  // forest has no such number, and guessing one (the top class's probability) would hide which.
  single: (info) =>
    info.nClasses === 2
      ? 1
      : `predictOne returns P(classes[1]) of a binary forest; this forest has ${info.nClasses} ` +
        `class${info.nClasses === 1 ? '' : 'es'} (${info.classes.join(', ')}): use predictProba([row]) for each class's probability`,
  partsPerRow: 0,
  // A forest is explained in probability space, every class.
  explanation: (info) => ({ outputNames: info.classes.map((c) => `P(${c})`), space: 'probability' }),
};

/**
 * A scikit-learn RandomForestClassifier / ExtraTreesClassifier in the package's forest format
 * (written by tools/export_sklearn_forest.py), scored by the package's own engine.
 * `predictProba` gives rows × nClasses, exactly scikit-learn's predict_proba; `predictOne` gives
 * P(classes[1]) of a binary forest (the second column).
 * @example
 * const rf = await RandomForestModel.load('models/production/random_forest.forest');
 * const proba = rf.predictProba(rows); // rows × nClasses, as sklearn's predict_proba
 * const up = rf.predictOne(rows[0]);   // P(class 1), a number
 */
export class RandomForestModel extends ScoringModel<ForestInfo> {
  private constructor(native: Binding.Forest) {
    super(native, forestShape);
  }

  /** @internal Wraps a model the addon loaded (the ensemble hands out its models this way). */
  static fromNative(native: Binding.Forest): RandomForestModel {
    return new RandomForestModel(native);
  }

  /** Loads and validates a forest file (path or bytes), off the event loop. */
  static async load(source: ModelSource, options?: ModelLoadOptions): Promise<RandomForestModel> {
    const native = await binding().addon.loadForest(toSource(source, 'forest'), nativeOptions(options), true);
    return new RandomForestModel(native);
  }

  /** Same as `load`, blocking. */
  static loadSync(source: ModelSource, options?: ModelLoadOptions): RandomForestModel {
    return new RandomForestModel(binding().addon.loadForest(toSource(source, 'forest'), nativeOptions(options), false));
  }

  /** Number of classes (columns of predictProba). */
  get nClasses(): number {
    return this.info.nClasses;
  }

  /** The class labels, in column order (scikit-learn `classes_`); a frozen array. */
  get classes(): readonly number[] {
    return this.info.classes;
  }

  /** Number of trees. */
  get numTrees(): number {
    return this.info.numTrees;
  }

  /** True when the forest accepts NaN (trained with scikit-learn >= 1.4 missing-value support). */
  get allowsNaN(): boolean {
    return this.info.allowsNaN;
  }
}
