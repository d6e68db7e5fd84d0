/**
 * The Node API of the batch scoring pipeline behind `production-ensemble score`: reader →
 * features → scorer → writer, each an async stage joined to the next by a bounded queue, so the
 * next block is read and the previous one written while a block is scored, and memory stays flat.
 * This file loads with the library; the pipeline itself (run.ts) and the packages it reads and
 * writes tables with are imported only once a call has checked that they are installed.
 */
import { MissingDependencyError } from '../errors.js';
import { TABLE_PACKAGES, installSpecs, packageProblems } from '../optional-packages.js';
import type { ScoredBatch } from './batch.js';
import { Channel } from './channel.js';
import type { ScoreTableOptions } from './options.js';
import type { ScoreSummary } from './summary.js';

/** Runs the pipeline (run.ts), after checking that the packages it imports are installed. */
async function runPipeline(input: string, opts: ScoreTableOptions, sink?: (b: ScoredBatch) => Promise<void>): Promise<ScoreSummary> {
  const problems = packageProblems(TABLE_PACKAGES);
  if (problems.length > 0) {
    throw new MissingDependencyError(
      `scoring tables needs ${problems.join(', ')}: installing production-ensemble as a library leaves out the packages ` +
        `that read and write tables. Install them beside it: npm install ${installSpecs(TABLE_PACKAGES)} (docs/install.md in the package)`,
    );
  }
  const run = await import('./run.js');
  return run.runPipeline(input, opts, sink);
}

/**
 * Scores a table of candles (or, with `fromFeatures`, of ready feature rows): a CSV or Parquet
 * file, a directory of them (hive-partitioned datasets included) or a glob. Features are computed
 * per symbol; reading, features, scoring and writing overlap. Resolves to the run's summary.
 * @param input a file, a directory or a glob (`data/*.parquet`, `data/**\/*.csv`)
 * @param options see {@link ScoreTableOptions}
 * @example
 * import { scoreTable } from 'production-ensemble';
 * const summary = await scoreTable('candles.csv', { output: 'scores.parquet' });
 * console.log(summary.scoredRows, summary.up, summary.rowsPerSecond);
 * // one partition per symbol, resumable:
 * await scoreTable('history/', { output: 'scores/', partitionBy: 'symbol', resume: true });
 */
export async function scoreTable(input: string, options: ScoreTableOptions = {}): Promise<ScoreSummary> {
  return runPipeline(input, options);
}

/** The batches of {@link scoreBatches}; `summary` is set once they are all read. */
export interface ScoreBatches extends AsyncIterable<ScoredBatch> {
  readonly summary: ScoreSummary | undefined;
}

class Cancelled extends Error {}

/**
 * The same pipeline as {@link scoreTable}, handing each scored batch (typed arrays, up to 65,536
 * rows) to your loop as it is ready. The pipeline waits for your loop (at most two batches are
 * held), so memory stays flat; leaving the loop early stops it and releases everything.
 * @example
 * import { scoreBatches } from 'production-ensemble';
 * const batches = scoreBatches('candles/', { symbolColumn: 'symbol' });
 * for await (const b of batches) {
 *   for (let i = 0; i < b.rows; i++) {
 *     if (b.label[i]) console.log(b.symbols[b.symbolIndex[i]], new Date(b.timeUs[i] / 1000), b.ensemble[i]);
 *   }
 * }
 * console.log(batches.summary?.scoredRows);
 */
export function scoreBatches(input: string, options: ScoreTableOptions = {}): ScoreBatches {
  let summary: ScoreSummary | undefined;
  async function* run(): AsyncGenerator<ScoredBatch> {
    const out = new Channel<ScoredBatch>(1);
    const done = runPipeline(input, options, (b) => out.put(b)).then(
      (s) => {
        summary = s;
        out.close();
      },
      (e: unknown) => out.fail(e),
    );
    let finished = false;
    try {
      for (;;) {
        const b = await out.get();
        if (b === undefined) break;
        yield b;
      }
      finished = true;
    } finally {
      if (!finished) out.fail(new Cancelled('the consumer stopped reading'));
      await done;
    }
  }
  return {
    get summary() {
      return summary;
    },
    [Symbol.asyncIterator]: () => run(),
  };
}
