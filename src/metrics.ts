/**
 * Prometheus metrics, opt-in: the package counts in its own fixed-size structures on the scoring
 * path (an HDR-style histogram per series, 20 score bins) and hands the values to the caller's
 * prom-client Registry when it is scraped. prom-client is never imported: the Registry passed in
 * serialises them, so its version is always the application's (docs/serving.md#metrics).
 */
import type { EnsembleGeneration } from './ensemble-load.js';
import { type ProductionEnsemble, scorerOf } from './ensemble.js';
import type { EnsembleSet, SetStats } from './ensemble-set.js';
import { EnsembleError } from './errors.js';
import { LogHistogram, SCORE_BINS, scoreBin } from './histogram.js';
import type { ScoringMethod, ScoringObserver } from './scorer.js';
import type { VersionStats } from './set-stats.js';

/**
 * What the metrics need of a prom-client `Registry` (prom-client 11 to 15: `register` or
 * `new Registry()`).
 * @example
 * import { register } from 'prom-client';
 * const metrics = enableMetrics({ register });
 */
export interface MetricsRegistry {
  registerMetric(metric: never): void;
  removeSingleMetric(name: string): void;
}

/**
 * Options of {@link enableMetrics}.
 * @example
 * enableMetrics({ register, prefix: 'bot_', latencyBuckets: [1e-5, 1e-4, 1e-3] });
 */
export interface MetricsOptions {
  register: MetricsRegistry;
  /** Prefix of every metric name (default `production_ensemble_`). */
  prefix?: string;
  /** Upper bounds of the latency histograms' buckets, in seconds, ascending (default 2 µs .. 5 s). */
  latencyBuckets?: readonly number[];
  /** Versions kept per model: a model reloaded more often drops its oldest version's series (default 8). */
  maxVersionsPerModel?: number;
}

const DEFAULT_LATENCY_BUCKETS = [2e-6, 5e-6, 1e-5, 2e-5, 5e-5, 1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5];
const SCORE_EDGES = Array.from({ length: SCORE_BINS }, (_, i) => (i + 1) / SCORE_BINS);
const METHODS: readonly ScoringMethod[] = ['predict', 'predictAsync', 'predictOne'];

type Labels = Record<string, string | number>;
interface Value {
  labels: Labels;
  value: number;
  metricName?: string;
}

// A metric as a prom-client Registry reads it: name, help, type, and its values on `get()`.
class Collected {
  readonly aggregator = 'sum';
  constructor(
    public name: string,
    readonly help: string,
    readonly type: 'counter' | 'gauge' | 'histogram',
    readonly collect: () => Value[],
  ) {}

  get(): Promise<{ name: string; help: string; type: string; values: Value[]; aggregator: string }> {
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, values: this.collect(), aggregator: this.aggregator });
  }

  reset(): void {}
}

/** Prometheus histogram values (cumulative buckets, +Inf, sum, count) of `counts` at `edges`. */
function histogramValues(name: string, labels: Labels, edges: readonly number[], cumulative: readonly number[], count: number, sum: number): Value[] {
  const out: Value[] = edges.map((le, i) => ({ labels: { ...labels, le }, value: cumulative[i] as number, metricName: `${name}_bucket` }));
  out.push({ labels: { ...labels, le: '+Inf' }, value: count, metricName: `${name}_bucket` });
  out.push({ labels, value: sum, metricName: `${name}_sum` }, { labels, value: count, metricName: `${name}_count` });
  return out;
}

/** One version of one tracked model: what its calls did. */
class Series {
  readonly latency = new Map<ScoringMethod, LogHistogram>(METHODS.map((m) => [m, new LogHistogram()]));
  rows = 0;
  readonly errors = new Map<string, number>();
  readonly bins = new Float64Array(SCORE_BINS);
  scoreSum = 0;
  scoreCount = 0;
}

/** A tracked ensemble: its series per version, its reloads. */
class Tracked implements ScoringObserver<EnsembleGeneration> {
  readonly versions = new Map<string, Series>();
  readonly reloads = new Map<string, number>(); // "ok|" or "failed|<code>"
  #lastGen: EnsembleGeneration | undefined;
  #last: Series | undefined;

  constructor(
    readonly name: string,
    readonly model: ProductionEnsemble<string>,
    readonly maxVersions: number,
  ) {}

  series(g: EnsembleGeneration): Series {
    if (g === this.#lastGen) return this.#last as Series;
    const version = g.version ?? 'unknown';
    let s = this.versions.get(version);
    if (s === undefined) {
      s = new Series();
      this.versions.set(version, s);
      // Bounded label values: the oldest version's series go once a model has been reloaded often.
      if (this.versions.size > this.maxVersions) this.versions.delete(this.versions.keys().next().value as string);
    }
    this.#lastGen = g;
    this.#last = s;
    return s;
  }

  scored(g: EnsembleGeneration, method: ScoringMethod, rows: number, seconds: number, values: Float64Array | number): void {
    const s = this.series(g);
    (s.latency.get(method) as LogHistogram).record(seconds * 1e9);
    s.rows += rows;
    if (typeof values === 'number') {
      const b = scoreBin(values);
      s.bins[b] = (s.bins[b] as number) + 1;
      s.scoreSum += values;
      s.scoreCount++;
      return;
    }
    for (let i = 0; i < values.length; i++) {
      const v = values[i] as number;
      const b = scoreBin(v);
      s.bins[b] = (s.bins[b] as number) + 1;
      s.scoreSum += v;
    }
    s.scoreCount += values.length;
  }

  failed(g: EnsembleGeneration, _method: ScoringMethod, error: unknown): void {
    const s = this.series(g);
    const code = error instanceof EnsembleError ? error.code : 'Error';
    s.errors.set(code, (s.errors.get(code) ?? 0) + 1);
  }
}

/**
 * Opt-in Prometheus metrics of ensembles and ensemble sets, registered in your prom-client
 * Registry (nothing is counted for objects not tracked). Every metric name the Grafana dashboard
 * in examples/grafana/ queries is listed in docs/serving.md#metrics.
 * @example
 * import { register } from 'prom-client';
 * const metrics = enableMetrics({ register });
 * metrics.track(model, 'btc-bot');
 * http.createServer(async (_, res) => res.end(await register.metrics())).listen(9464);
 */
export class Metrics {
  readonly #register: MetricsRegistry;
  readonly #prefix: string;
  readonly #edges: readonly number[];
  readonly #maxVersions: number;
  readonly #models = new Map<string, Tracked>();
  readonly #sets = new Map<string, EnsembleSet<string>>();
  readonly #untrack = new Map<object, () => void>();
  readonly #names: string[] = [];

  /** Use {@link enableMetrics}. @internal */
  constructor(options: MetricsOptions) {
    const r = options?.register;
    if (r === null || typeof r !== 'object' || typeof r.registerMetric !== 'function' || typeof r.removeSingleMetric !== 'function') {
      throw new TypeError("enableMetrics needs { register }: a prom-client Registry (import { register } from 'prom-client')");
    }
    this.#register = r;
    this.#prefix = options.prefix ?? 'production_ensemble_';
    const edges = options.latencyBuckets ?? DEFAULT_LATENCY_BUCKETS;
    if (!Array.isArray(edges) || edges.length === 0 || edges.some((e, i) => typeof e !== 'number' || !(e > 0) || (i > 0 && e <= (edges[i - 1] as number)))) {
      throw new RangeError('latencyBuckets must be positive numbers of seconds in ascending order');
    }
    this.#edges = edges;
    this.#maxVersions = options.maxVersionsPerModel ?? 8;
    this.#define();
  }

  /**
   * Counts `model`'s calls (latency per method, rows, errors by code, P(up)) and reloads under
   * the label `model="name"`, and which version serves since when. Returns the function that
   * stops it (`close()` of these metrics stops everything).
   */
  track(model: ProductionEnsemble<string>, name: string): () => void {
    if (this.#models.has(name) || this.#sets.has(name)) throw new TypeError(`metrics: '${name}' is already tracked`);
    const scorer = model[scorerOf];
    if (scorer.observer !== undefined) throw new TypeError(`metrics: this model is already tracked (as '${[...this.#models.values()].find((t) => t.model === model)?.name ?? 'by other metrics'}')`);
    const t = new Tracked(name, model, this.#maxVersions);
    scorer.observer = t;
    const off = model.onReload((r) => {
      const key = r.ok ? 'ok|' : `failed|${r.errorCode ?? 'Error'}`;
      t.reloads.set(key, (t.reloads.get(key) ?? 0) + 1);
    });
    this.#models.set(name, t);
    const stop = () => {
      off();
      if (scorer.observer === t) scorer.observer = undefined;
      this.#models.delete(name);
      this.#untrack.delete(stop);
    };
    this.#untrack.set(stop, stop);
    return stop;
  }

  /** Exports `set`'s per-version statistics (rows served and shadowed, agreement, outcomes, latency) as `set="name"`. */
  trackSet(set: EnsembleSet<string>, name: string): () => void {
    if (this.#models.has(name) || this.#sets.has(name)) throw new TypeError(`metrics: '${name}' is already tracked`);
    this.#sets.set(name, set);
    const stop = () => {
      this.#sets.delete(name);
      this.#untrack.delete(stop);
    };
    this.#untrack.set(stop, stop);
    return stop;
  }

  /** Stops tracking everything and removes these metrics from the registry. */
  close(): void {
    for (const stop of [...this.#untrack.values()]) stop();
    for (const n of this.#names) this.#register.removeSingleMetric(n);
    this.#names.length = 0;
  }

  #add(name: string, help: string, type: Collected['type'], collect: () => Value[]): void {
    const full = this.#prefix + name;
    this.#register.registerMetric(new Collected(full, help, type, collect) as never);
    this.#names.push(full);
  }

  #eachSeries(fn: (t: Tracked, version: string, s: Series) => Value[]): Value[] {
    const out: Value[] = [];
    for (const t of this.#models.values()) for (const [v, s] of t.versions) out.push(...fn(t, v, s));
    return out;
  }

  #define(): void {
    const p = this.#prefix;
    this.#add('scoring_seconds', 'Latency of scoring calls, by model, version and method (predict, predictAsync, predictOne)', 'histogram', () =>
      this.#eachSeries((t, version, s) =>
        METHODS.flatMap((method) => {
          const h = s.latency.get(method) as LogHistogram;
          if (h.count === 0) return [];
          const cum = h.cumulative(this.#edges.map((e) => e * 1e9));
          return histogramValues(`${p}scoring_seconds`, { model: t.name, version, method }, this.#edges, cum, h.count, h.sum / 1e9);
        }),
      ),
    );
    this.#add('rows_total', 'Rows scored, by model and version', 'counter', () => this.#eachSeries((t, version, s) => [{ labels: { model: t.name, version }, value: s.rows }]));
    this.#add('errors_total', 'Failed scoring calls, by model, version and error code', 'counter', () =>
      this.#eachSeries((t, version, s) => [...s.errors].map(([code, n]) => ({ labels: { model: t.name, version, code }, value: n }))),
    );
    this.#add('score', 'P(up) of every row scored, by model and version', 'histogram', () =>
      this.#eachSeries((t, version, s) => {
        if (s.scoreCount === 0) return [];
        let acc = 0;
        const cum = Array.from(s.bins, (c) => (acc += c));
        return histogramValues(`${p}score`, { model: t.name, version }, SCORE_EDGES, cum, s.scoreCount, s.scoreSum);
      }),
    );
    this.#add('reloads_total', 'Reloads by model and outcome (ok, failed) and the failure\'s error code', 'counter', () =>
      [...this.#models.values()].flatMap((t) =>
        [...t.reloads].map(([key, n]) => {
          const [outcome, code] = key.split('|') as [string, string];
          return { labels: { model: t.name, outcome, code }, value: n };
        }),
      ),
    );
    this.#add('serving_info', 'The version each model serves (value 1)', 'gauge', () =>
      [...this.#models.values()].filter((t) => !t.model.closed).map((t) => ({ labels: { model: t.name, version: t.model.version ?? 'unknown' }, value: 1 })),
    );
    this.#add('serving_since_seconds', 'Unix time since which each model\'s version has been serving', 'gauge', () =>
      [...this.#models.values()].filter((t) => !t.model.closed).map((t) => ({ labels: { model: t.name }, value: Date.parse(t.model.getModelInfo().servingSince) / 1e3 })),
    );
    this.#defineSets();
  }

  #eachMember(fn: (set: string, s: SetStats, m: VersionStats, i: number) => Value[]): Value[] {
    const out: Value[] = [];
    for (const [name, set] of this.#sets) {
      const s = set.stats();
      s.members.forEach((m, i) => out.push(...fn(name, s, m, i)));
    }
    return out;
  }

  #defineSets(): void {
    const p = this.#prefix;
    this.#add('set_rows_total', 'Rows each version of an ensemble set answered (role served) or scored in shadow', 'counter', () =>
      this.#eachMember((set, _s, m) => [
        { labels: { set, version: m.name, role: 'served' }, value: m.servedRows },
        { labels: { set, version: m.name, role: 'shadow' }, value: m.shadowRows },
      ]),
    );
    this.#add('set_latency_seconds', 'Latency of an ensemble set\'s calls per version: answering (kind served) and shadow batches', 'histogram', () => {
      const out: Value[] = [];
      for (const [set, s] of this.#sets) {
        for (const { name, tally } of s.tallies()) {
          for (const [kind, h] of [['served', tally.latency], ['shadow', tally.shadowLatency]] as const) {
            if (h.count > 0) out.push(...histogramValues(`${p}set_latency_seconds`, { set, version: name, kind }, this.#edges, h.cumulative(this.#edges.map((e) => e * 1e9)), h.count, h.sum / 1e9));
          }
        }
      }
      return out;
    });
    const gauge = (metric: string, help: string, value: (m: VersionStats) => number | null | undefined) =>
      this.#add(metric, help, 'gauge', () =>
        this.#eachMember((set, _s, m) => {
          const v = value(m);
          return v === null || v === undefined ? [] : [{ labels: { set, version: m.name }, value: v }];
        }),
      );
    gauge('set_agreement_ratio', 'Share of rows on which a challenger\'s label equals the champion\'s', (m) => m.agreement?.rate);
    gauge('set_abs_diff_mean', 'Mean |P(up) - champion P(up)| of a challenger', (m) => m.agreement?.meanAbsDiff);
    gauge('set_accuracy_ratio', 'Accuracy of each version on the outcomes recorded', (m) => m.outcomes.accuracy);
    gauge('set_log_loss', 'Log loss of each version on the outcomes recorded', (m) => m.outcomes.logLoss);
    this.#add('set_outcomes_total', 'Outcomes recorded per version of an ensemble set', 'counter', () =>
      this.#eachMember((set, _s, m) => [{ labels: { set, version: m.name }, value: m.outcomes.count }]),
    );
    this.#add('set_shadow_dropped_rows_total', 'Rows not scored in shadow because the queue was full', 'counter', () =>
      [...this.#sets].map(([set, s]) => ({ labels: { set }, value: s.stats().droppedShadowRows })),
    );
    this.#add('set_pending_outcomes', 'Outcome ids awaited by an ensemble set', 'gauge', () => [...this.#sets].map(([set, s]) => ({ labels: { set }, value: s.stats().pendingOutcomes })));
  }
}

/**
 * Registers the package's metrics in a prom-client Registry and returns the handle that tracks
 * models and sets. prom-client stays the application's dependency, in the application's version.
 * @example
 * import client from 'prom-client';
 * const metrics = enableMetrics({ register: client.register });
 * metrics.track(model, 'bot');
 * metrics.trackSet(set, 'ab');
 */
export function enableMetrics(options: MetricsOptions): Metrics {
  return new Metrics(options);
}

