/**
 * `production-ensemble compare`: replays a history (candles, or ready feature rows, as `score`
 * reads them) through several model versions in an EnsembleSet and prints how they compare: their
 * P(up), agreement with the first (the champion), and accuracy and log loss against what happened
 * next (next-bar direction: close[t+1] > close[t], the label the models were trained on).
 * @internal
 */
import { existsSync } from 'node:fs';
import { EnsembleSet, type SetStats } from '../ensemble-set.js';
import { InvalidArgumentError } from '../errors.js';
import { scoreTable } from '../pipeline/pipeline.js';
import type { Scorer } from '../pipeline/scorer.js';
import type { TableFormat } from '../pipeline/source.js';

/** Most pending outcome ids: one block of the pipeline and the row waiting for its next close. */
const MAX_PENDING = 65_536 + 1;

export interface CompareOptions {
  /** The versions: model directories, stores or store versions; `name=path` names one. The first is the champion. */
  models: string[];
  threads: number;
  fromFeatures?: boolean;
  format?: string;
  skipInvalid?: boolean;
}

export interface CompareSummary {
  input: string;
  rows: number;
  /** Rows whose outcome was known (every row but the last; none when the model has no `close` feature). */
  outcomes: number;
  seconds: number;
  stats: SetStats;
}

function member(spec: string): { name?: string; path: string } {
  const at = spec.indexOf('=');
  return at > 0 ? { name: spec.slice(0, at), path: spec.slice(at + 1) } : { path: spec };
}

/**
 * The set as the pipeline's scorer: each block of feature rows goes through every version (the
 * champion answers, challengers in inline shadow), and each row's outcome is recorded once the
 * next row's close is known. The pipeline scores blocks in input order, one series.
 */
function setScorer(set: EnsembleSet<string>, counts: { rows: number; outcomes: number }): Scorer {
  const champion = set.model(set.champion);
  const names = champion.featureNames;
  const n = names.length;
  const closeAt = names.indexOf('close');
  let lastClose = Number.NaN;
  return {
    nFeatures: n,
    featureNames: names,
    threshold: champion.threshold,
    score: async (features, rows) => {
      const first = counts.rows;
      const ids = Array.from({ length: rows }, (_, i) => first + i);
      const { p } = set.score(features.subarray(0, rows * n), { ids });
      if (closeAt >= 0) {
        for (let i = 0; i < rows; i++) {
          const close = features[i * n + closeAt] as number;
          if (first + i > 0 && !Number.isNaN(lastClose) && !Number.isNaN(close)) {
            if (set.recordOutcome(first + i - 1, close > lastClose ? 1 : 0)) counts.outcomes++;
          }
          lastClose = close;
        }
      }
      counts.rows += rows;
      // The pipeline's summary reads the ensemble's column; the parts are the champion's business.
      const none = new Float64Array(rows).fill(Number.NaN);
      return { lightgbm: none, xgboost: none, randomForest: none, ensemble: p };
    },
  };
}

export async function compareFile(input: string, opts: CompareOptions): Promise<CompareSummary> {
  if (!existsSync(input)) throw new InvalidArgumentError(`input file ${input} does not exist`);
  if (opts.models.length < 2) throw new InvalidArgumentError('compare needs at least two versions: --models a --models b');
  const started = performance.now();
  const specs = opts.models.map(member);
  const set = await EnsembleSet.load<string>(
    { champion: specs[0] as { path: string }, challengers: specs.slice(1) },
    { shadow: 'inline', maxPendingOutcomes: MAX_PENDING, ownsMembers: true, load: opts.threads > 0 ? { threads: opts.threads } : {} },
  );
  try {
    const counts = { rows: 0, outcomes: 0 };
    await scoreTable(input, {
      scorer: setScorer(set, counts),
      format: opts.format as TableFormat | undefined,
      fromFeatures: opts.fromFeatures ?? false,
      skipInvalid: opts.skipInvalid ?? false,
      // One series: an outcome is the next row's close (a symbol column is refused as out of order).
      symbolColumn: false,
      threads: opts.threads,
    });
    return { input, rows: counts.rows, outcomes: counts.outcomes, seconds: (performance.now() - started) / 1e3, stats: set.stats() };
  } finally {
    set.close();
  }
}

const f4 = (v: number | null | undefined) => (v === null || v === undefined ? 'n/a' : v.toFixed(4));

/** The table `compare` prints: one line per version. */
export function formatComparison(s: CompareSummary): string {
  const width = Math.max(7, ...s.stats.members.map((m) => m.name.length));
  const head = `${'version'.padEnd(width)}  ${'role'.padEnd(10)}  mean P(up)   agree  mean|diff|  accuracy  log loss`;
  const lines = s.stats.members.map(
    (m) =>
      `${m.name.padEnd(width)}  ${m.role.padEnd(10)}  ${f4(m.scores.mean).padStart(10)}  ` +
      `${(m.agreement ? f4(m.agreement.rate) : '-').padStart(6)}  ${(m.agreement ? f4(m.agreement.meanAbsDiff) : '-').padStart(10)}  ` +
      `${f4(m.outcomes.accuracy).padStart(8)}  ${f4(m.outcomes.logLoss).padStart(8)}`,
  );
  return (
    `replayed ${s.rows} rows of ${s.input} through ${s.stats.members.length} versions in ${s.seconds.toFixed(2)} s; ` +
    `${s.outcomes} outcomes (next-bar direction)\n${head}\n${lines.join('\n')}\n`
  );
}
