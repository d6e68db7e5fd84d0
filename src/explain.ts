/**
 * Exact TreeSHAP explanations (docs/explain.md): per row and output, one contribution per
 * feature plus the expected value, adding up to the model's output. The C++ core computes them
 * from the same trees the scorer uses; this file shapes its buffers (src/scorer.ts makes the call)
 * into `Explanation` objects.
 */

/**
 * What an explanation's values add up to: `'margin'` (LightGBM / XGBoost raw scores, before the
 * sigmoid, as `pred_contrib` reports them) or `'probability'` (a forest's class probabilities,
 * the ensemble's P(up)).
 */
export type ExplanationSpace = 'margin' | 'probability';

/**
 * The explanation of a batch of rows: for each row and output, the contribution of every feature
 * and the expected value (the model's average output over its training data, as its trees record
 * it); expected value + contributions = the model's output for the row.
 * @example
 * const e = lgb.explain(rows);
 * e.ranked(0).slice(0, 3); // the three features that moved row 0 most, signed
 */
export class Explanation<Name extends string = string> {
  /** The feature of each contribution column. */
  readonly featureNames: readonly Name[];
  /** Rows explained. */
  readonly rows: number;
  /** Outputs per row: 1 for a booster and the ensemble, the classes of a forest. */
  readonly outputs: number;
  /** Name of each output, e.g. `['margin']`, `['P(0)', 'P(1)']`, `['P(up)']`. */
  readonly outputNames: readonly string[];
  /** What the values add up to. */
  readonly space: ExplanationSpace;
  /** rows × outputs × nFeatures contributions, row-major (row, then output, then feature). */
  readonly contributions: Float64Array;
  /** rows × outputs expected values: where each row's contributions start from. */
  readonly expectedValue: Float64Array;

  /** @internal */
  constructor(
    featureNames: readonly Name[],
    rows: number,
    outputNames: readonly string[],
    space: ExplanationSpace,
    contributions: Float64Array,
    expectedValue: Float64Array,
  ) {
    this.featureNames = featureNames;
    this.rows = rows;
    this.outputs = outputNames.length;
    this.outputNames = outputNames;
    this.space = space;
    this.contributions = contributions;
    this.expectedValue = expectedValue;
  }

  /**
   * Splits the core's layout (per row and output: the contributions, then the expected value).
   * @internal
   */
  static fromNative<Name extends string>(
    raw: Float64Array,
    rows: number,
    featureNames: readonly Name[],
    outputNames: readonly string[],
    space: ExplanationSpace,
  ): Explanation<Name> {
    const nf = featureNames.length;
    const blocks = rows * outputNames.length;
    const contributions = new Float64Array(blocks * nf);
    const expected = new Float64Array(blocks);
    for (let b = 0; b < blocks; b++) {
      contributions.set(raw.subarray(b * (nf + 1), b * (nf + 1) + nf), b * nf);
      expected[b] = raw[b * (nf + 1) + nf] as number;
    }
    return new Explanation(featureNames, rows, outputNames, space, contributions, expected);
  }

  /** Number of features (contribution columns). */
  get nFeatures(): number {
    return this.featureNames.length;
  }

  /**
   * The contributions of one row and output: a view of nFeatures values.
   * @example
   * const c = e.row(0); c[e.featureNames.indexOf('rsi_14')];
   */
  row(r: number, output = 0): Float64Array {
    const at = this.#block(r, output) * this.nFeatures;
    return this.contributions.subarray(at, at + this.nFeatures);
  }

  /**
   * Expected value plus the row's contributions: the model's output for the row (its margin or
   * probability), up to rounding.
   * @example
   * Math.abs(e.total(0) - model.predictRaw([row])[0]) < 1e-9;
   */
  total(r: number, output = 0): number {
    let sum = this.expectedValue[this.#block(r, output)] as number;
    for (const v of this.row(r, output)) sum += v;
    return sum;
  }

  /**
   * One row's contributions as records, largest magnitude first.
   * @example
   * for (const { feature, contribution } of e.ranked(0)) console.log(feature, contribution.toFixed(4));
   */
  ranked(r: number, output = 0): { feature: Name; contribution: number }[] {
    const c = this.row(r, output);
    return this.featureNames
      .map((feature, j) => ({ feature, contribution: c[j] as number }))
      .sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution));
  }

  #block(r: number, output: number): number {
    if (!Number.isInteger(r) || r < 0 || r >= this.rows) throw new RangeError(`row ${r} is not in [0, ${this.rows})`);
    if (!Number.isInteger(output) || output < 0 || output >= this.outputs) {
      throw new RangeError(`output ${output} is not in [0, ${this.outputs})`);
    }
    return r * this.outputs + output;
  }
}

/**
 * The ensemble's explanation of P(up) (docs/explain.md): each booster's exact margin
 * contributions mapped to probability by the rescale rule, the forest's as they are, weighted as
 * P(up) is; `models` holds each model's part in probability space (unweighted), so that
 * contributions = Σ weight × part, feature by feature.
 * @example
 * const e = await ensemble.explainAsync(rows);
 * e.total(0); // P(up) of row 0
 * e.models.xgboost.row(0); // XGBoost's share, before its weight
 */
export class EnsembleExplanation<Name extends string = string> extends Explanation<Name> {
  /** Each model's explanation in probability space: its part + expected value = its P(up). */
  readonly models: {
    readonly lightgbm: Explanation<Name>;
    readonly xgboost: Explanation<Name>;
    readonly randomForest: Explanation<Name>;
  };
  /** The weights the parts are combined with. */
  readonly weights: { readonly lightgbm: number; readonly xgboost: number; readonly randomForest: number };

  /** @internal */
  constructor(
    whole: Explanation<Name>,
    models: EnsembleExplanation<Name>['models'],
    weights: EnsembleExplanation<Name>['weights'],
  ) {
    super(whole.featureNames, whole.rows, whole.outputNames, whole.space, whole.contributions, whole.expectedValue);
    this.models = Object.freeze(models);
    this.weights = Object.freeze({ ...weights });
  }
}

/** Feature names for the contribution columns: the model's, or f0, f1, ... when it has none. */
function columnNames<Name extends string>(names: readonly Name[], nFeatures: number): readonly Name[] {
  if (names.length === nFeatures) return names;
  return Object.freeze(Array.from({ length: nFeatures }, (_, j) => `f${j}` as Name));
}

/** What the explained batch and its model look like. @internal */
export interface ExplainedShape<Name extends string> {
  rows: number;
  featureNames: readonly Name[];
  nFeatures: number;
  outputNames: readonly string[];
  space: ExplanationSpace;
}

/** A model's explanation from the core's buffer (src/scorer.ts fills it). @internal */
export function modelExplanation<Name extends string>(out: Float64Array, s: ExplainedShape<Name>): Explanation<Name> {
  return Explanation.fromNative(out, s.rows, columnNames(s.featureNames, s.nFeatures), s.outputNames, s.space);
}

/** The ensemble's explanation from the core's output and parts (src/scorer.ts fills them). @internal */
export function ensembleExplanation<Name extends string>(
  out: Float64Array,
  parts: Float64Array,
  rows: number,
  featureNames: readonly Name[],
  weights: EnsembleExplanation<Name>['weights'],
): EnsembleExplanation<Name> {
  const w = featureNames.length + 1;
  const part = (i: number) =>
    Explanation.fromNative(parts.subarray(i * rows * w, (i + 1) * rows * w), rows, featureNames, ['P(up)'], 'probability');
  const whole = Explanation.fromNative(out, rows, featureNames, ['P(up)'], 'probability');
  return new EnsembleExplanation(whole, { lightgbm: part(0), xgboost: part(1), randomForest: part(2) }, weights);
}
