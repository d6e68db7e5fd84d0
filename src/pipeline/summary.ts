/**
 * What a scoring run reports: rows in and out, warm-up and invalid rows, labels and mean
 * probabilities, and where the time went (each stage's busy time, CPU time over wall time).
 */
import type { WarmupPolicy } from '../features.js';
import type { Scores } from './scorer.js';

/**
 * The result of {@link scoreTable} (and of `production-ensemble score --json`).
 * @example
 * const s = await scoreTable('candles.csv', { output: 'scores.parquet' });
 * console.log(`${s.scoredRows} rows, ${s.up} up, ${Math.round(s.rowsPerSecond)} rows/s`);
 */
export interface ScoreSummary {
  input: string;
  output?: string;
  /** Input files read (a directory or glob may name many). */
  files: number;
  /** Distinct symbols (1 without a symbol column). */
  symbols: number;
  /** The symbol column used, if any. */
  symbolColumn?: string;
  inputRows: number;
  scoredRows: number;
  warmupRows: number;
  warmupPolicy: WarmupPolicy;
  invalidRows: number;
  /** Lines skipped with skipInvalid (`file` when the input has several files). */
  invalidLines: { file?: string; line: number; message: string }[];
  nonIncreasingTimestamps: number;
  /** With partitionBy: partitions written by this run, and complete ones skipped (resume). */
  partitions?: { written: number; skipped: number };
  seconds: number;
  rowsPerSecond: number;
  up: number;
  down: number;
  threshold: number;
  /** Peak resident memory of this process, MiB. */
  peakRssMiB: number;
  /** CPU time of the whole process (every thread) during the run, and its ratio to wall time. */
  cpuSeconds: number;
  cpuPerWall: number;
  /**
   * Seconds each stage was busy (they overlap, so these add up to more than `seconds`): start-up
   * (model load, input checks) until the first block, reading, features, scoring, writing; and the
   * scorer's own rate (scored rows per second of scoring).
   */
  stages: { startup: number; read: number; features: number; score: number; write: number; scorerRowsPerSecond: number };
  meanProbability: { ensemble: number; lightgbm: number; xgboost: number; randomForest: number };
}

/** Accumulates a run's counts as batches pass. */
export class SummaryBuilder {
  scoredRows = 0;
  up = 0;
  readonly sums = { ensemble: 0, lightgbm: 0, xgboost: 0, randomForest: 0 };

  /** Labels of one scored block (`ensemble >= threshold`), counted. */
  add(s: Scores, rows: number, threshold: number): Uint8Array {
    const label = new Uint8Array(rows);
    let up = 0;
    let e = 0;
    let l = 0;
    let x = 0;
    let f = 0;
    for (let i = 0; i < rows; i++) {
      const p = s.ensemble[i] as number;
      const u = p >= threshold ? 1 : 0;
      label[i] = u;
      up += u;
      e += p;
      l += s.lightgbm[i] as number;
      x += s.xgboost[i] as number;
      f += s.randomForest[i] as number;
    }
    this.up += up;
    this.scoredRows += rows;
    this.sums.ensemble += e;
    this.sums.lightgbm += l;
    this.sums.xgboost += x;
    this.sums.randomForest += f;
    return label;
  }
}

/** The human summary printed at the end of `score`. */
export function formatSummary(s: ScoreSummary): string {
  const pct = (v: number) => (s.scoredRows ? ((100 * v) / s.scoredRows).toFixed(1) : '0.0');
  const m = s.meanProbability;
  const from = s.files > 1 ? `${s.files} files of ${s.input}` : s.input;
  const lines = [
    `scored ${s.scoredRows} of ${s.inputRows} rows from ${from} in ${s.seconds.toFixed(2)} s (${Math.round(s.rowsPerSecond)} rows/s)`,
  ];
  if (s.symbolColumn) lines.push(`  ${s.symbols} symbol${s.symbols === 1 ? '' : 's'} (column ${s.symbolColumn}), features computed per symbol`);
  if (s.warmupRows > 0) {
    lines.push(
      s.warmupPolicy === 'skip'
        ? `  skipped ${s.warmupRows} warm-up rows (not enough history for every feature; --warmup nan scores them with NaN features)`
        : `  ${s.warmupRows} warm-up rows scored with NaN for the features that lack history`,
    );
  }
  if (s.invalidRows > 0) {
    const first = s.invalidLines
      .slice(0, 3)
      .map((l) => `${l.file ? `${l.file}: ` : ''}line ${l.line}: ${l.message}`)
      .join('; ');
    lines.push(`  skipped ${s.invalidRows} invalid line${s.invalidRows > 1 ? 's' : ''} (${first}${s.invalidRows > 3 ? '; ...' : ''})`);
  }
  if (s.nonIncreasingTimestamps > 0) lines.push(`  warning: ${s.nonIncreasingTimestamps} rows have a timestamp not after the previous row's`);
  lines.push(`  mean P(up): ensemble ${m.ensemble.toFixed(4)} | lightgbm ${m.lightgbm.toFixed(4)} | xgboost ${m.xgboost.toFixed(4)} | random_forest ${m.randomForest.toFixed(4)}`);
  lines.push(`  labels at threshold ${s.threshold}: up ${s.up} (${pct(s.up)}%), down ${s.down} (${pct(s.down)}%)`);
  if (s.partitions) lines.push(`  wrote ${s.partitions.written} partitions to ${s.output}${s.partitions.skipped ? ` (${s.partitions.skipped} complete ones kept from an earlier run)` : ''}`);
  else if (s.output) lines.push(`  wrote ${s.output}`);
  const st = s.stages;
  lines.push(
    `  time: start-up ${st.startup.toFixed(2)} s; busy: read ${st.read.toFixed(2)} s, features ${st.features.toFixed(2)} s, ` +
      `score ${st.score.toFixed(2)} s (${Math.round(st.scorerRowsPerSecond)} rows/s), write ${st.write.toFixed(2)} s; CPU ${s.cpuSeconds.toFixed(2)} s = ${s.cpuPerWall.toFixed(2)}x wall`,
  );
  lines.push(`  peak memory ${s.peakRssMiB} MiB`);
  return `${lines.join('\n')}\n`;
}
