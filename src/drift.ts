/**
 * Drift detection (docs/drift.md): a DriftMonitor keeps sliding-window histograms of the rows
 * being scored (the 12 features, and each model's score) in the C++ core, binned by the edges of
 * the model directory's drift reference, and compares them with it: population stability index
 * and Kolmogorov-Smirnov distance per column, thresholds, and a `drift` event.
 */
import { EventEmitter } from 'node:events';
import { type Binding, binding } from './binding.js';
import { ks, missingShare, psi } from './drift-stats.js';
import { InvalidArgumentError, MetadataError } from './errors.js';
import { type MatrixInput, toMatrix } from './validate.js';

/** One reference histogram: quantile bin edges, counts per bin, missing count (docs/metadata.md). */
export interface DriftHistogram {
  /** The column: a feature name, or lightgbm / xgboost / random_forest / ensemble. */
  readonly name: string;
  /** Strictly increasing; value v falls in bin #{edges below v}. */
  readonly edges: readonly number[];
  /** edges.length + 1 counts. */
  readonly counts: readonly number[];
  /** Missing values (NaN). */
  readonly missing: number;
}

/**
 * The distributions drift is measured against: a model directory's `drift_reference`
 * (`ensemble.driftReference`), features in column order, then the models' scores.
 */
export interface DriftReference {
  readonly features: readonly DriftHistogram[];
  readonly scores: readonly DriftHistogram[];
  /** What the features were drawn from, e.g. "training rows (47960, ...)". */
  readonly featuresFrom: string;
  /** What the scores were drawn from. */
  readonly scoresFrom: string;
}

/**
 * How a DriftMonitor watches.
 * @example
 * const monitor = ensemble.monitorDrift({ window: 2000, psiThreshold: 0.25 });
 */
export interface DriftOptions {
  /** Rows in each sliding window (default 5000). */
  window?: number;
  /** A column drifts when its PSI reaches this (default 0.25: the usual mark of a major shift). */
  psiThreshold?: number;
  /** ... or its KS distance reaches this (default 0.2). */
  ksThreshold?: number;
  /** No column is flagged before the window holds this many rows (default 1000). */
  minRows?: number;
}

/** One column's drift now. */
export interface DriftStat {
  readonly name: string;
  readonly kind: 'feature' | 'score';
  /** Population stability index of the window against the reference (NaN: no rows yet). */
  readonly psi: number;
  /** KS distance of the values present, at the bin edges (null: none present on one side). */
  readonly ks: number | null;
  /** Share of missing values in the window, and in the reference. */
  readonly missingShare: number;
  readonly referenceMissingShare: number;
  /** psi >= psiThreshold or ks >= ksThreshold, once the window holds minRows rows. */
  readonly drifted: boolean;
}

/** Every column's drift now. */
export interface DriftReport {
  /** Rows in the feature window now, and rows ever observed. */
  readonly rows: number;
  readonly seen: number;
  readonly features: readonly DriftStat[];
  readonly scores: readonly DriftStat[];
  /** Names of the drifted columns. */
  readonly drifted: readonly string[];
}

/** What a `drift` event carries: a column that started (or stopped) drifting. */
export interface DriftEvent {
  readonly column: DriftStat;
  /** true: it started drifting; false: it is back within the thresholds. */
  readonly drifted: boolean;
  readonly report: DriftReport;
}

/** A value for a metrics layer: one gauge per statistic and column. */
export interface DriftGauge {
  readonly name: 'drift_psi' | 'drift_ks' | 'drift_missing_share';
  readonly column: string;
  readonly kind: 'feature' | 'score';
  readonly value: number;
}

/** Each model's score of a batch, as predictModels gives them. */
export interface DriftScores {
  readonly ensemble: Float64Array;
  readonly lightgbm: Float64Array;
  readonly xgboost: Float64Array;
  readonly randomForest: Float64Array;
}

const SCORE_ORDER = ['lightgbm', 'xgboost', 'random_forest', 'ensemble'] as const;

function positive(name: string, v: number | undefined, fallback: number, integer = false): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v) || (integer && !Number.isInteger(v))) {
    throw new RangeError(`${name} must be a positive ${integer ? 'integer' : 'number'}, got ${String(v)}`);
  }
  return v;
}

/**
 * Sliding-window drift detection against a reference (docs/drift.md). Feed it the rows you score
 * (`observe`), or let the ensemble do it (`ensemble.monitorDrift()`); read `report()` or
 * `gauges()`, or listen for `drift` events.
 * @example
 * const monitor = ensemble.monitorDrift();
 * monitor.on('drift', (e) => console.warn(`${e.column.name}: PSI ${e.column.psi.toFixed(3)}`));
 */
export class DriftMonitor extends EventEmitter<{ drift: [DriftEvent] }> {
  /** The reference compared with. */
  readonly reference: DriftReference;
  /** The options in force. */
  readonly options: Readonly<Required<DriftOptions>>;
  readonly #features: Binding.DriftWindow;
  readonly #scores: Binding.DriftWindow;
  readonly #scoreIndex: number[];
  #flagged = new Set<string>();
  #before = 0; // rows counted in `seen` but never handed to the window (observeFeatures)

  /** A monitor of `reference`; its features must be the rows' columns, in order. */
  constructor(reference: DriftReference, options: DriftOptions = {}) {
    super();
    if (!reference || !Array.isArray(reference.features) || reference.features.length === 0) {
      throw new MetadataError('no drift reference: the model directory has no drift_reference (retrain with tools/train_models.py, or migrate with --reference)');
    }
    this.reference = reference;
    this.options = Object.freeze({
      window: positive('window', options.window, 5000, true),
      psiThreshold: positive('psiThreshold', options.psiThreshold, 0.25),
      ksThreshold: positive('ksThreshold', options.ksThreshold, 0.2),
      minRows: positive('minRows', options.minRows, 1000, true),
    });
    const { DriftWindow } = binding().addon;
    const edges = (list: readonly DriftHistogram[]) => list.map((h) => Float64Array.from(h.edges));
    this.#features = new DriftWindow(edges(reference.features), this.options.window);
    this.#scoreIndex = SCORE_ORDER.map((n) => reference.scores.findIndex((h) => h.name === n));
    if (this.#scoreIndex.some((i) => i < 0)) throw new InvalidArgumentError(`the drift reference needs the scores ${SCORE_ORDER.join(', ')}`);
    this.#scores = new DriftWindow(
      this.#scoreIndex.map((i) => Float64Array.from((reference.scores[i] as DriftHistogram).edges)),
      this.options.window,
    );
  }

  /** The monitored feature names, in column order. */
  get featureNames(): readonly string[] {
    return this.reference.features.map((h) => h.name);
  }

  /**
   * Adds rows (row-major, the reference's features) and, when given, each model's score of them;
   * then checks the thresholds (and emits `drift` events). Returns the report.
   * @example
   * monitor.observe(rows, ensemble.predictModels(rows));
   */
  observe(x: MatrixInput<string>, scores?: DriftScores): DriftReport {
    const m = toMatrix(x, this.reference.features.length, this.featureNames);
    this.observeFeatures(m.data, m.rows);
    if (scores) this.observeScores(scores);
    return this.check();
  }

  /**
   * Adds feature rows only (row-major typed array, `rows` of them), after `before` rows of the
   * same batch that were left out because the window could not hold them anyway. @internal
   */
  observeFeatures(data: Float32Array | Float64Array, rows: number, before = 0): void {
    if (rows > 0) this.#features.add(data, rows);
    this.#before += before;
  }

  /** Adds scores only (one value per row in each array). @internal */
  observeScores(s: DriftScores): void {
    if (s.ensemble.length > 0) this.#scores.addColumns([s.lightgbm, s.xgboost, s.randomForest, s.ensemble]);
  }

  /** Every column's PSI, KS and missing share now. */
  report(): DriftReport {
    const rows = this.#features.rows();
    const stat = (h: DriftHistogram, counts: Float64Array, kind: DriftStat['kind'], inWindow: number): DriftStat => {
      const reference = Float64Array.from([...h.counts, h.missing]);
      const p = psi(reference, counts);
      const k = ks(reference, counts);
      const drifted =
        inWindow >= this.options.minRows && (p >= this.options.psiThreshold || (k !== null && k >= this.options.ksThreshold));
      return { name: h.name, kind, psi: p, ks: k, missingShare: missingShare(counts), referenceMissingShare: missingShare(reference), drifted };
    };
    const features = this.reference.features.map((h, c) => stat(h, this.#features.counts(c), 'feature', rows));
    const scoreRows = this.#scores.rows();
    const scores = this.#scoreIndex.map((i, c) => stat(this.reference.scores[i] as DriftHistogram, this.#scores.counts(c), 'score', scoreRows));
    const drifted = [...features, ...scores].filter((s) => s.drifted).map((s) => s.name);
    return { rows, seen: this.#features.seen() + this.#before, features, scores, drifted };
  }

  /**
   * The report, and a `drift` event for each column that started or stopped drifting since the
   * last check.
   */
  check(): DriftReport {
    const report = this.report();
    for (const column of [...report.features, ...report.scores]) {
      const was = this.#flagged.has(column.name);
      if (column.drifted === was) continue;
      if (column.drifted) this.#flagged.add(column.name);
      else this.#flagged.delete(column.name);
      this.emit('drift', { column, drifted: column.drifted, report });
    }
    return report;
  }

  /**
   * The statistics as gauges, for a metrics layer (e.g. a Prometheus `drift_psi{column="rsi_14"}`).
   * @example
   * for (const g of monitor.gauges()) registry.set(g.name, { column: g.column }, g.value);
   */
  gauges(): DriftGauge[] {
    const out: DriftGauge[] = [];
    const r = this.report();
    for (const s of [...r.features, ...r.scores]) {
      out.push({ name: 'drift_psi', column: s.name, kind: s.kind, value: s.psi });
      out.push({ name: 'drift_ks', column: s.name, kind: s.kind, value: s.ks ?? Number.NaN });
      out.push({ name: 'drift_missing_share', column: s.name, kind: s.kind, value: s.missingShare });
    }
    return out;
  }

  /** Empties the windows (and forgets which columns had drifted). */
  reset(): void {
    this.#features.reset();
    this.#scores.reset();
    this.#flagged = new Set();
  }
}

/** The reference a model directory's metadata records, as the core checked it. @internal */
export function driftReferenceOf(meta: Binding.DirectoryMetadata | undefined): DriftReference | undefined {
  const r = meta?.driftReference;
  return r ? Object.freeze({ ...r, features: Object.freeze(r.features), scores: Object.freeze(r.scores) }) : undefined;
}
