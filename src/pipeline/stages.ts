/**
 * The three concurrent stages of a run over an open reader: read + features, scoring, writing,
 * joined by bounded queues; and the run's counts, timings and summary.
 * @internal
 */
import type { WarmupPolicy } from '../features.js';
import type { ScoredBatch } from './batch.js';
import { Channel } from './channel.js';
import type { PartitionedBatch } from './dataset.js';
import { type FeatureBlock, FeatureStage } from './feature-stage.js';
import type { Output } from './outputs.js';
import type { TableReader } from './reader.js';
import type { Scorer, Scores } from './scorer.js';
import type { InputSource } from './source.js';
import { type ScoreSummary, SummaryBuilder } from './summary.js';

/** Blocks waiting between two stages: enough to keep every stage busy, few enough to stay flat. */
const QUEUE_BLOCKS = 2;

/** What a run of the stages needs besides the reader, scorer and output. */
export interface StageOptions {
  started: number;
  warmup: WarmupPolicy;
  fromFeatures: boolean;
  onProgress?: (rows: number, total: number | undefined) => void;
  countRows?: boolean;
}

/** A scored block on its way to the writer. */
interface Scored {
  batch: PartitionedBatch;
}

/** Counts each symbol's input rows, so a partition is committed as soon as its last row is written. */
class Completion {
  readonly #expected: Map<string, number>;
  #seen = new Float64Array(64);
  #done = new Uint8Array(64);

  constructor(expected: Map<string, number>) {
    this.#expected = expected;
  }

  /** Symbols whose last row is in this block. */
  update(key: Uint32Array, rows: number, names: readonly string[]): number[] {
    const out: number[] = [];
    if (names.length > this.#seen.length) {
      const s = new Float64Array(names.length * 2);
      s.set(this.#seen);
      this.#seen = s;
      const d = new Uint8Array(names.length * 2);
      d.set(this.#done);
      this.#done = d;
    }
    const seen = this.#seen;
    for (let r = 0; r < rows; r++) {
      const k = key[r] as number;
      seen[k] = (seen[k] as number) + 1;
    }
    for (let k = 0; k < names.length; k++) {
      if (this.#done[k] || this.#seen[k] === 0) continue;
      if (this.#seen[k] === this.#expected.get(names[k] as string)) {
        this.#done[k] = 1;
        out.push(k);
      }
    }
    return out;
  }

  /** Every symbol seen and not yet complete (at the end of the input). */
  rest(names: readonly string[]): number[] {
    const out: number[] = [];
    for (let k = 0; k < names.length; k++) if (!this.#done[k] && (this.#seen[k] as number) > 0) out.push(k);
    return out;
  }
}

export function baseSummary(source: InputSource, scorer: Scorer, warmup: WarmupPolicy): ScoreSummary {
  return {
    input: source.input,
    files: source.files.length,
    symbols: 0,
    inputRows: 0,
    scoredRows: 0,
    warmupRows: 0,
    warmupPolicy: warmup,
    invalidRows: 0,
    invalidLines: [],
    nonIncreasingTimestamps: 0,
    seconds: 0,
    rowsPerSecond: 0,
    up: 0,
    down: 0,
    threshold: scorer.threshold,
    peakRssMiB: 0,
    cpuSeconds: 0,
    cpuPerWall: 0,
    stages: { startup: 0, read: 0, features: 0, score: 0, write: 0, scorerRowsPerSecond: 0 },
    meanProbability: { ensemble: 0, lightgbm: 0, xgboost: 0, randomForest: 0 },
  };
}

/** The three concurrent stages over an open reader. */
export async function stream(
  reader: TableReader,
  scorer: Scorer,
  output: Output | undefined,
  sink: ((b: ScoredBatch) => Promise<void>) | undefined,
  ctx: StageOptions,
): Promise<ScoreSummary> {
  const s = baseSummary(reader.source, scorer, ctx.warmup);
  const names = reader.symbols.names;
  const symbolsOf = () => (reader.symbolColumn ? names : ['']);
  const features = new FeatureStage({
    fromFeatures: ctx.fromFeatures,
    warmup: ctx.warmup,
    nFeatures: scorer.nFeatures,
    describe: (b, r) => reader.describe(b, r),
    symbolOf: (k) => (reader.symbolColumn ? (names[k] ?? '') : ''),
  });
  const completion = output?.partitions ? new Completion(await reader.countBySymbol()) : undefined;
  const total = ctx.countRows ? await reader.count() : undefined;
  const toScore = new Channel<{ block: FeatureBlock; completes: number[] }>(QUEUE_BLOCKS);
  const toWrite = new Channel<Scored>(QUEUE_BLOCKS);
  const built = new SummaryBuilder();
  let readMs = 0;
  let scoreMs = 0;
  let firstBlock = 0;
  const fail = (e: unknown) => {
    toScore.fail(e);
    toWrite.fail(e);
  };

  const produce = async () => {
    let t = performance.now();
    for await (const block of reader.blocks()) {
      const now = performance.now();
      readMs += now - t;
      if (firstBlock === 0) firstBlock = now;
      const fb = features.process(block);
      s.inputRows += fb.inputRows;
      s.warmupRows += fb.warmupRows;
      const completes = completion ? completion.update(block.key, block.rows, names) : [];
      ctx.onProgress?.(s.inputRows, total);
      await toScore.put({ block: fb, completes });
      t = performance.now();
    }
    readMs += performance.now() - t;
    if (completion) await toScore.put({ block: emptyBlock(scorer.nFeatures), completes: completion.rest(names) });
    toScore.close();
  };

  const score = async () => {
    for (;;) {
      const item = await toScore.get();
      if (!item) break;
      const { block, completes } = item;
      let scores: Scores;
      if (block.rows === 0) scores = { lightgbm: new Float64Array(0), xgboost: new Float64Array(0), randomForest: new Float64Array(0), ensemble: new Float64Array(0) };
      else {
        const t0 = performance.now();
        scores = await scorer.score(block.features, block.rows);
        scoreMs += performance.now() - t0;
      }
      const label = built.add(scores, block.rows, scorer.threshold);
      const batch: PartitionedBatch = {
        rows: block.rows,
        timeUs: block.timeUs,
        symbolIndex: block.key,
        symbols: symbolsOf(),
        lightgbm: scores.lightgbm,
        xgboost: scores.xgboost,
        randomForest: scores.randomForest,
        ensemble: scores.ensemble,
        label,
        completes,
      };
      await toWrite.put({ batch });
    }
    toWrite.close();
  };

  const write = async () => {
    for (;;) {
      const item = await toWrite.get();
      if (!item) break;
      if (output) await output.writer.write(item.batch);
      if (sink && item.batch.rows > 0) {
        const { completes: _c, ...plain } = item.batch;
        await sink(plain);
      }
    }
    if (output) await output.writer.finish();
  };

  const stages = [produce(), score(), write()].map((p) => p.catch((e: unknown) => {
    fail(e);
    throw e;
  }));
  const results = await Promise.allSettled(stages);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;

  s.symbols = reader.symbolColumn ? names.length : s.inputRows > 0 ? 1 : 0;
  if (reader.symbolColumn) s.symbolColumn = reader.symbolColumn;
  s.scoredRows = built.scoredRows;
  s.up = built.up;
  s.down = s.scoredRows - s.up;
  s.nonIncreasingTimestamps = features.nonIncreasing;
  s.invalidLines = await reader.rejects();
  s.invalidRows = s.invalidLines.length;
  const k = Math.max(s.scoredRows, 1);
  s.meanProbability = {
    ensemble: built.sums.ensemble / k,
    lightgbm: built.sums.lightgbm / k,
    xgboost: built.sums.xgboost / k,
    randomForest: built.sums.randomForest / k,
  };
  s.stages = {
    startup: ((firstBlock || performance.now()) - ctx.started) / 1000,
    read: readMs / 1000,
    features: features.busyMs / 1000,
    score: scoreMs / 1000,
    write: (output?.writer.busyMs ?? 0) / 1000,
    scorerRowsPerSecond: scoreMs > 0 ? s.scoredRows / (scoreMs / 1000) : 0,
  };
  return s;
}

function emptyBlock(nFeatures: number): FeatureBlock {
  return { rows: 0, features: new Float64Array(0 * nFeatures), timeUs: new Float64Array(0), key: new Uint32Array(0), inputRows: 0, warmupRows: 0 };
}
