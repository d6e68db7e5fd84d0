/**
 * The gradient-boosted models: LightGBM boosters (text models) and XGBoost boosters (JSON / UBJ),
 * loaded and checked by the core, scored by the package's tree engine or the library's C API.
 */
import { type Binding, binding } from './binding.js';
import { type ModelLoadOptions, type ModelSource, nativeOptions, toSource } from './load-options.js';
import type { BoosterInfo, LibraryInfo } from './model-types.js';
import { ScoringModel } from './models.js';
import type { Shape } from './scorer.js';
import type { MatrixInput } from './validate.js';

function boosterShape(name: string): Shape<BoosterInfo> {
  return {
    name,
    width: (info, kind) => (kind === 0 ? info.outputWidth : info.marginWidth),
    single: (info) =>
      info.outputWidth === 1
        ? 0
        : `predictOne returns one number; this model has ${info.outputWidth} outputs per row: use predictProba([row])`,
    partsPerRow: 0,
    // Boosters are explained in margin space, as their libraries' pred_contrib(s) report it.
    explanation: () => ({ outputNames: ['margin'], space: 'margin' }),
  };
}
const lightgbmShape = boosterShape('LightGBMModel');
const xgboostShape = boosterShape('XGBoostModel');

/**
 * A gradient-boosted model (LightGBM or XGBoost) with its library's outputs: `predictProba` is the
 * library's normal output (P(class 1) per row for a binary model, rows × nClasses for a multiclass
 * one, the prediction for a regression), `predictRaw` its margins.
 * @example
 * function trees(m: BoosterModel): number { return m.numTrees; }
 */
export abstract class BoosterModel extends ScoringModel<BoosterInfo> {
  /** Classes as the library counts them: 1 for binary and regression, K for multiclass. */
  get nClasses(): number {
    return this.info.nClasses;
  }

  /** The objective stored in the model, e.g. `binary sigmoid:1` or `binary:logistic`. */
  get objective(): string {
    return this.info.objective;
  }

  /** Number of trees in the model. */
  get numTrees(): number {
    return this.info.numTrees;
  }

  /**
   * Who scores this model: `'engine'` (the package's tree engine, checked bit for bit against
   * the library at load) or `'library'` (the C API).
   */
  get scorer(): 'engine' | 'library' {
    return this.info.scorer;
  }

  /** Why the library scores this model when the engine does not (empty when the engine does). */
  get scorerNote(): string {
    return this.info.scorerNote;
  }

  /** The native library that scores this model: `{ path, version }`. */
  get library(): Readonly<LibraryInfo> {
    return this.info.library;
  }

  /** Values per row of predictProba (`outputWidth`) and of predictRaw (`marginWidth`). */
  get outputWidth(): number {
    return this.info.outputWidth;
  }

  /** Raw margins (before the sigmoid / softmax), row-major rows × marginWidth. */
  predictRaw(x: MatrixInput<string>): Float64Array {
    return this.scoring.predict(x, 1).out;
  }

  /** `predictRaw` off the event loop; the input is copied when the call is made. */
  predictRawAsync(x: MatrixInput<string>): Promise<Float64Array> {
    return this.scoring.predictAsync(x, 1).then((r) => r.out);
  }
}

/**
 * A LightGBM booster loaded from a text model, scored by lib_lightgbm.
 * @example
 * const lgb = await LightGBMModel.load('models/production/lightgbm.txt');
 * const p = lgb.predictProba([[...twelveNumbers]]); // Float64Array of P(class 1)
 */
export class LightGBMModel extends BoosterModel {
  private constructor(native: Binding.LightGBMBooster) {
    super(native, lightgbmShape);
  }

  /** @internal Wraps a model the addon loaded (the ensemble hands out its models this way). */
  static fromNative(native: Binding.LightGBMBooster): LightGBMModel {
    return new LightGBMModel(native);
  }

  /** Loads and validates a LightGBM text model (file path or bytes), off the event loop. */
  static async load(source: ModelSource, options?: ModelLoadOptions): Promise<LightGBMModel> {
    const native = await binding().addon.loadLightGBM(toSource(source, 'LightGBM'), nativeOptions(options), true);
    return new LightGBMModel(native);
  }

  /** Same as `load`, blocking. */
  static loadSync(source: ModelSource, options?: ModelLoadOptions): LightGBMModel {
    return new LightGBMModel(binding().addon.loadLightGBM(toSource(source, 'LightGBM'), nativeOptions(options), false));
  }

  /**
   * Loads a model from the text of a LightGBM model (what `Booster.model_to_string()` returns).
   * @example
   * const lgb = LightGBMModel.fromString(await fetchModelText());
   */
  static fromString(text: string, options?: ModelLoadOptions): LightGBMModel {
    if (typeof text !== 'string') throw new TypeError('fromString needs the model text as a string');
    return new LightGBMModel(
      binding().addon.loadLightGBM({ bytes: Buffer.from(text, 'utf8'), name: '<LightGBM string>' }, nativeOptions(options), false),
    );
  }
}

/**
 * An XGBoost booster loaded from a JSON or UBJ model, scored by libxgboost.
 * @example
 * const xgb = await XGBoostModel.load('models/production/xgboost.json');
 * const margins = xgb.predictRaw(new Float64Array(12 * 100));
 */
export class XGBoostModel extends BoosterModel {
  private constructor(native: Binding.XGBoostBooster) {
    super(native, xgboostShape);
  }

  /** @internal Wraps a model the addon loaded (the ensemble hands out its models this way). */
  static fromNative(native: Binding.XGBoostBooster): XGBoostModel {
    return new XGBoostModel(native);
  }

  /** Loads and validates an XGBoost JSON/UBJ model (file path or bytes), off the event loop. */
  static async load(source: ModelSource, options?: ModelLoadOptions): Promise<XGBoostModel> {
    const native = await binding().addon.loadXGBoost(toSource(source, 'XGBoost'), nativeOptions(options), true);
    return new XGBoostModel(native);
  }

  /** Same as `load`, blocking. */
  static loadSync(source: ModelSource, options?: ModelLoadOptions): XGBoostModel {
    return new XGBoostModel(binding().addon.loadXGBoost(toSource(source, 'XGBoost'), nativeOptions(options), false));
  }
}
