/**
 * `production-ensemble explain`: streams candles (or feature rows) from CSV / Parquet through the
 * features and the ensemble's explanation (docs/explain.md), one output row per explained row:
 * P(up), the expected value and each feature's contribution (each model's too with --parts), and
 * optionally an SVG waterfall of one row.
 * @internal
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidArgumentError } from '../errors.js';
import { ProductionEnsemble } from '../ensemble.js';
import type { EnsembleExplanation } from '../explain.js';
import { waterfallSvg } from '../explain-svg.js';
import { type FeatureBatch, featureRows } from './feature-rows.js';
import { OutputFile } from '../pipeline/output-file.js';
import { type TableWriter, csvWriter, formatOf, parquetWriter } from './table-writer.js';

/** Rows explained per native call: each costs ~10 ms of CPU, so batches stay small. */
const BATCH_ROWS = 256;

export interface ExplainOptions {
  output?: string;
  outputFormat?: string;
  format?: string;
  models: string;
  threads: number;
  fromFeatures?: boolean;
  skipInvalid?: boolean;
  /** Explain only the last N rows of the input. */
  last?: number;
  /** Also write each model's contributions (probability space). */
  parts?: boolean;
  /** Write the waterfall of one row here (the last row, or the row stamped `svgAt`). */
  svg?: string;
  svgAt?: string;
}

export interface ExplainSummary {
  input: string;
  output?: string;
  svg?: string;
  svgRow?: string;
  rows: number;
  seconds: number;
  rowsPerSecond: number;
  /** Mean |contribution| to P(up) per feature over the rows explained, largest first. */
  meanAbsContribution: { feature: string; value: number }[];
}

interface Pending {
  data: Float64Array;
  rows: number;
  stamps: string[];
}

export async function explainFile(input: string, opts: ExplainOptions): Promise<ExplainSummary> {
  if (opts.last !== undefined && !(Number.isInteger(opts.last) && opts.last > 0)) {
    throw new InvalidArgumentError(`--last must be a positive integer, got ${opts.last}`);
  }
  const outFormat = opts.output ? formatOf(opts.output, opts.outputFormat) : undefined;
  const out = opts.output ? OutputFile.create(opts.output, [input]) : undefined;
  const svgOut = opts.svg ? OutputFile.create(opts.svg, [input]) : undefined;
  const started = performance.now();
  const model = await ProductionEnsemble.load(opts.models, opts.threads > 0 ? { threads: opts.threads } : {});
  let writer: TableWriter | undefined;
  try {
    const names = model.featureNames;
    const n = names.length;
    const columns = ['timestamp', 'p_up', 'expected_value', ...names.map((f) => `contribution_${f}`)];
    const roles = ['lightgbm', 'xgboost', 'random_forest'] as const;
    if (opts.parts) for (const r of roles) columns.push(`${r}_p_up`, `${r}_expected_value`, ...names.map((f) => `${r}_${f}`));
    let finished: string | undefined;
    if (out) {
      const scratch = outFormat === 'parquet' ? out.scratchDirectory() : undefined;
      finished = scratch ? join(scratch, 'explain.parquet') : out.temp;
      writer = await (scratch
        ? parquetWriter(join(scratch, 'explain.parquet'), join(scratch, 'explain.duckdb'), columns, columns.slice(1).map(() => 'double' as const))
        : csvWriter(out.temp, columns));
      const w = writer;
      out.onDiscard(() => w.abort());
    }
    const absSum = new Float64Array(n);
    let explained = 0;
    let svgPicked: { e: EnsembleExplanation<string>; row: number; values: Float64Array; stamp: string } | undefined;

    const explainRows = async (p: Pending) => {
      const e = await model.explainAsync(p.data.subarray(0, p.rows * n));
      const cols: Float64Array[] = [new Float64Array(p.rows), new Float64Array(p.rows), ...names.map(() => new Float64Array(p.rows))];
      const add = (part: EnsembleExplanation<string> | EnsembleExplanation<string>['models']['lightgbm'], r: number, at: number) => {
        (cols[at] as Float64Array)[r] = part.total(r);
        (cols[at + 1] as Float64Array)[r] = part.expectedValue[r] as number;
        const c = part.row(r);
        for (let j = 0; j < n; j++) (cols[at + 2 + j] as Float64Array)[r] = c[j] as number;
      };
      if (opts.parts) for (let k = 0; k < 3; k++) cols.push(...Array.from({ length: n + 2 }, () => new Float64Array(p.rows)));
      for (let r = 0; r < p.rows; r++) {
        add(e, r, 0);
        const c = e.row(r);
        for (let j = 0; j < n; j++) absSum[j] = (absSum[j] as number) + Math.abs(c[j] as number);
        if (opts.parts) {
          add(e.models.lightgbm, r, n + 2);
          add(e.models.xgboost, r, 2 * (n + 2));
          add(e.models.randomForest, r, 3 * (n + 2));
        }
        const stamp = p.stamps[r] ?? '';
        if (opts.svg && (opts.svgAt === undefined || opts.svgAt === stamp)) {
          svgPicked = { e, row: r, values: p.data.slice(r * n, (r + 1) * n), stamp };
        }
      }
      if (writer) {
        try {
          await writer.write(p.stamps, cols, p.rows);
        } catch (err) {
          throw (out as OutputFile).error(err);
        }
      }
      explained += p.rows;
    };

    const last = opts.last;
    const keep: FeatureBatch[] = [];
    let kept = 0;
    let pending: Pending = { data: new Float64Array(BATCH_ROWS * n), rows: 0, stamps: [] };
    for await (const batch of featureRows(input, names, opts)) {
      if (last !== undefined) {
        // Only the last N rows matter: keep batches until they hold more than N rows.
        keep.push(batch);
        kept += batch.rows;
        while (keep.length > 1 && kept - (keep[0] as FeatureBatch).rows >= last) kept -= (keep.shift() as FeatureBatch).rows;
        continue;
      }
      for (let r = 0; r < batch.rows; r++) {
        pending.data.set(batch.data.subarray(r * n, (r + 1) * n), pending.rows * n);
        pending.stamps.push(batch.timestamps[r] ?? '');
        if (++pending.rows === BATCH_ROWS) {
          await explainRows(pending);
          pending = { data: new Float64Array(BATCH_ROWS * n), rows: 0, stamps: [] };
        }
      }
    }
    if (last !== undefined) {
      const all = keep.flatMap((b) => Array.from({ length: b.rows }, (_, r) => ({ b, r }))).slice(-last);
      for (let start = 0; start < all.length; start += BATCH_ROWS) {
        const slice = all.slice(start, start + BATCH_ROWS);
        const data = new Float64Array(slice.length * n);
        slice.forEach(({ b, r }, i) => data.set(b.data.subarray(r * n, (r + 1) * n), i * n));
        await explainRows({ data, rows: slice.length, stamps: slice.map(({ b, r }) => b.timestamps[r] ?? '') });
      }
    } else if (pending.rows > 0) {
      await explainRows(pending);
    }
    if (writer && out) {
      await writer.finish();
      out.commit(finished);
    }
    const summary: ExplainSummary = {
      input,
      rows: explained,
      seconds: (performance.now() - started) / 1000,
      rowsPerSecond: 0,
      meanAbsContribution: names
        .map((feature, j) => ({ feature, value: explained ? (absSum[j] as number) / explained : 0 }))
        .sort((a, b) => b.value - a.value),
    };
    summary.rowsPerSecond = explained / Math.max(summary.seconds, 1e-9);
    if (opts.output) summary.output = opts.output;
    if (svgOut) {
      const picked = svgPicked as typeof svgPicked | undefined;
      if (!picked) throw new InvalidArgumentError(`--svg: no explained row${opts.svgAt ? ` has the timestamp ${opts.svgAt}` : ''}`);
      writeFileSync(svgOut.temp, waterfallSvg(picked.e, picked.row, { values: picked.values, title: `P(up) = ${picked.e.total(picked.row).toFixed(4)}${picked.stamp ? ` at ${picked.stamp}` : ''}` }));
      svgOut.commit();
      summary.svg = opts.svg as string;
      summary.svgRow = picked.stamp;
    }
    return summary;
  } catch (e) {
    out?.discard();
    svgOut?.discard();
    throw e;
  } finally {
    model.close();
  }
}

/** The human summary printed at the end of `explain`. */
export function formatExplainSummary(s: ExplainSummary): string {
  const lines = [`explained ${s.rows} rows from ${s.input} in ${s.seconds.toFixed(2)} s (${Math.round(s.rowsPerSecond)} rows/s)`];
  lines.push(`  mean |contribution| to P(up): ${s.meanAbsContribution.slice(0, 6).map((m) => `${m.feature} ${m.value.toFixed(4)}`).join(', ')}`);
  if (s.output) lines.push(`  wrote ${s.output}`);
  if (s.svg) lines.push(`  wrote ${s.svg} (the waterfall of ${s.svgRow ? `the row at ${s.svgRow}` : 'the last row'})`);
  return `${lines.join('\n')}\n`;
}
