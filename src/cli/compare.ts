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
import { TechnicalFeatures } from '../features.js';
import { formatOf, openTable } from './table-io.js';

/** Rows scored per call: every version scores the same batch, in turn. */
const BATCH_ROWS = 65_536;
const CANDLE_COLUMNS = ['open', 'high', 'low', 'close', 'volume'] as const;

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

export async function compareFile(input: string, opts: CompareOptions): Promise<CompareSummary> {
  if (!existsSync(input)) throw new InvalidArgumentError(`input file ${input} does not exist`);
  if (opts.models.length < 2) throw new InvalidArgumentError('compare needs at least two versions: --models a --models b');
  const started = performance.now();
  const specs = opts.models.map(member);
  const set = await EnsembleSet.load<string>(
    { champion: specs[0] as { path: string }, challengers: specs.slice(1) },
    { shadow: 'inline', maxPendingOutcomes: BATCH_ROWS + 1, ownsMembers: true, load: opts.threads > 0 ? { threads: opts.threads } : {} },
  );
  let reader: Awaited<ReturnType<typeof openTable>> | undefined;
  try {
    const names = set.model(set.champion).featureNames;
    const n = names.length;
    const closeAt = names.indexOf('close');
    reader = await openTable(input, formatOf(input, opts.format), opts.fromFeatures ? names : CANDLE_COLUMNS, opts.skipInvalid ?? false);
    const features = opts.fromFeatures ? undefined : new TechnicalFeatures({ warmup: 'skip' });
    const batch = new Float64Array(BATCH_ROWS * n);
    let fill = 0;
    let rows = 0;
    let outcomes = 0;
    let lastClose = Number.NaN;
    const flush = () => {
      if (fill === 0) return;
      const ids = Array.from({ length: fill }, (_, i) => rows + i);
      set.score(batch.subarray(0, fill * n), { ids });
      // Each row's outcome is the next row's close against its own: known for all but the last.
      if (closeAt >= 0) {
        for (let i = 0; i < fill; i++) {
          const close = batch[i * n + closeAt] as number;
          if (rows + i > 0 && !Number.isNaN(lastClose) && !Number.isNaN(close)) {
            if (set.recordOutcome(rows + i - 1, close > lastClose ? 1 : 0)) outcomes++;
          }
          lastClose = close;
        }
      }
      rows += fill;
      fill = 0;
    };
    const push = (data: Float64Array, count: number) => {
      for (let done = 0; done < count; ) {
        const take = Math.min(count - done, BATCH_ROWS - fill);
        batch.set(data.subarray(done * n, (done + take) * n), fill * n);
        fill += take;
        done += take;
        if (fill === BATCH_ROWS) flush();
      }
    };
    for await (const chunk of reader.chunks()) {
      if (features) {
        const [open, high, low, close, volume] = chunk.columns as [Float64Array, Float64Array, Float64Array, Float64Array, Float64Array];
        const f = features.pushColumns({ open, high, low, close, volume });
        push(f.features, f.rows);
      } else {
        const data = new Float64Array(chunk.rows * n);
        for (let c = 0; c < n; c++) {
          const col = chunk.columns[c] as Float64Array;
          for (let r = 0; r < chunk.rows; r++) data[r * n + c] = col[r] as number;
        }
        push(data, chunk.rows);
      }
    }
    flush();
    return { input, rows, outcomes, seconds: (performance.now() - started) / 1e3, stats: set.stats() };
  } finally {
    reader?.close();
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
