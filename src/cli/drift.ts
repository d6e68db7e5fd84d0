/**
 * `production-ensemble drift`: a history (candles or feature rows, CSV / Parquet) scored and cut
 * into time windows (or windows of N rows); per window, each feature's and each model score's PSI
 * and KS against the model directory's drift reference (docs/drift.md), the drifted columns
 * named; optionally one output row per window.
 * @internal
 */
import { join } from 'node:path';
import type { Binding } from '../binding.js';
import { binding } from '../binding.js';
import type { DriftHistogram } from '../drift.js';
import { ks, psi } from '../drift-stats.js';
import { InvalidArgumentError, InvalidInputFileError, MetadataError } from '../errors.js';
import { ProductionEnsemble } from '../ensemble.js';
import { featureRows } from './feature-rows.js';
import { OutputFile } from '../pipeline/output-file.js';
import { type TableWriter, csvWriter, formatOf, parquetWriter } from './table-writer.js';

export interface DriftCliOptions {
  models: string;
  threads: number;
  /** '1w' (default), '3d', '12h': calendar-free windows from the first row; or '5000rows'. */
  window?: string;
  fromFeatures?: boolean;
  format?: string;
  skipInvalid?: boolean;
  output?: string;
  outputFormat?: string;
  psiThreshold?: number;
  ksThreshold?: number;
}

export interface DriftWindowStats {
  start: string;
  end: string;
  rows: number;
  columns: { name: string; kind: 'feature' | 'score'; psi: number; ks: number | null }[];
  drifted: string[];
}

export interface DriftSummary {
  input: string;
  output?: string;
  window: string;
  psiThreshold: number;
  ksThreshold: number;
  rows: number;
  windows: DriftWindowStats[];
}

const UNITS: Record<string, number> = { h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** '1w' -> { ms }, '5000rows' -> { rows }. */
export function parseWindow(text: string): { ms?: number; rows?: number } {
  const t = /^(\d+)\s*([hdw])$/.exec(text);
  if (t) return { ms: Number(t[1]) * (UNITS[t[2] as string] as number) };
  const r = /^(\d+)\s*rows?$/.exec(text);
  if (r && Number(r[1]) > 0) return { rows: Number(r[1]) };
  throw new InvalidArgumentError(`--window must be like 12h, 3d, 1w or 5000rows, got '${text}'`);
}

export async function driftFile(input: string, opts: DriftCliOptions): Promise<DriftSummary> {
  const windowText = opts.window ?? '1w';
  const window = parseWindow(windowText);
  const psiThreshold = opts.psiThreshold ?? 0.25;
  const ksThreshold = opts.ksThreshold ?? 0.2;
  const outFormat = opts.output ? formatOf(opts.output, opts.outputFormat) : undefined;
  const out = opts.output ? OutputFile.create(opts.output, [input]) : undefined;
  const model = await ProductionEnsemble.load(opts.models, opts.threads > 0 ? { threads: opts.threads } : {});
  let writer: TableWriter | undefined;
  try {
    const ref = model.driftReference;
    if (!ref) throw new MetadataError(`${opts.models} has no drift_reference: retrain with tools/train_models.py, or migrate with --reference`);
    const hist: { h: DriftHistogram; kind: 'feature' | 'score' }[] = [
      ...ref.features.map((h) => ({ h, kind: 'feature' as const })),
      ...['lightgbm', 'xgboost', 'random_forest', 'ensemble'].map((n) => ({ h: ref.scores.find((s) => s.name === n) as DriftHistogram, kind: 'score' as const })),
    ];
    const { DriftWindow } = binding().addon;
    const nf = ref.features.length;
    const features: Binding.DriftWindow = new DriftWindow(ref.features.map((h) => Float64Array.from(h.edges)), 0);
    const scores: Binding.DriftWindow = new DriftWindow(hist.slice(nf).map((x) => Float64Array.from(x.h.edges)), 0);
    let finished: string | undefined;
    if (out) {
      const names = ['window_start', 'rows', 'drifted_columns', ...hist.flatMap((x) => [`psi_${x.h.name}`, `ks_${x.h.name}`])];
      const scratch = outFormat === 'parquet' ? out.scratchDirectory() : undefined;
      finished = scratch ? join(scratch, 'drift.parquet') : out.temp;
      writer = await (scratch
        ? parquetWriter(finished, join(scratch, 'drift.duckdb'), names, names.slice(1).map(() => 'double' as const))
        : csvWriter(out.temp, names));
      const w = writer;
      out.onDiscard(() => w.abort());
    }
    const summary: DriftSummary = { input, window: windowText, psiThreshold, ksThreshold, rows: 0, windows: [] };
    if (opts.output) summary.output = opts.output;
    let current: { key: number; start: string; end: string; rows: number } | undefined;

    const close = async () => {
      if (!current || current.rows === 0) return;
      const columns = hist.map(({ h, kind }, c) => {
        const counts = c < nf ? features.counts(c) : scores.counts(c - nf);
        const reference = [...h.counts, h.missing];
        return { name: h.name, kind, psi: psi(reference, counts), ks: ks(reference, counts) };
      });
      const drifted = columns.filter((c) => c.psi >= psiThreshold || (c.ks !== null && c.ks >= ksThreshold)).map((c) => c.name);
      summary.windows.push({ start: current.start, end: current.end, rows: current.rows, columns, drifted });
      if (writer) {
        const values = [current.rows, drifted.length, ...columns.flatMap((c) => [c.psi, c.ks ?? Number.NaN])];
        try {
          await writer.write([current.start], values.map((v) => Float64Array.of(v)), 1);
        } catch (err) {
          throw (out as OutputFile).error(err);
        }
      }
      features.reset();
      scores.reset();
    };

    let first = Number.NaN;
    for await (const batch of featureRows(input, model.featureNames, opts)) {
      const p = await model.predictModelsAsync(batch.data.subarray(0, batch.rows * nf));
      // Rows of one window go to the histograms together.
      let r0 = 0;
      while (r0 < batch.rows) {
        const keyOf = (r: number): number => {
          if (window.rows !== undefined) return Math.floor((summary.rows + r) / window.rows);
          const t = batch.order[r] as number;
          if (Number.isNaN(t)) {
            throw new InvalidInputFileError(`${input}: row ${summary.rows + r + 1} has no usable timestamp: time windows need one (or use --window 5000rows)`);
          }
          if (Number.isNaN(first)) first = t;
          return Math.floor((t - first) / (window.ms as number));
        };
        const key = keyOf(r0);
        let r1 = r0 + 1;
        while (r1 < batch.rows && keyOf(r1) === key) r1++;
        if (current && current.key !== key) await close();
        if (!current || current.key !== key) current = { key, start: batch.timestamps[r0] ?? '', end: '', rows: 0 };
        features.add(batch.data.subarray(r0 * nf, r1 * nf), r1 - r0);
        scores.addColumns([p.lightgbm.subarray(r0, r1), p.xgboost.subarray(r0, r1), p.randomForest.subarray(r0, r1), p.ensemble.subarray(r0, r1)]);
        current.rows += r1 - r0;
        current.end = batch.timestamps[r1 - 1] ?? '';
        r0 = r1;
      }
      summary.rows += batch.rows;
    }
    await close();
    if (writer && out) {
      await writer.finish();
      out.commit(finished);
    }
    return summary;
  } catch (e) {
    out?.discard();
    throw e;
  } finally {
    model.close();
  }
}

/** The human report of `drift`: one line per window. */
export function formatDriftSummary(s: DriftSummary): string {
  const lines = [
    `${s.rows} rows of ${s.input} in ${s.windows.length} windows of ${s.window}; drift: PSI >= ${s.psiThreshold} or KS >= ${s.ksThreshold}`,
  ];
  for (const w of s.windows) {
    const worst = [...w.columns].sort((a, b) => b.psi - a.psi)[0];
    const top = worst ? ` (largest PSI: ${worst.name} ${worst.psi.toFixed(3)})` : '';
    lines.push(`  ${w.start || '?'} .. ${w.end || '?'}  ${String(w.rows).padStart(6)} rows  ${w.drifted.length ? `drifted: ${w.drifted.join(', ')}` : 'no drift'}${top}`);
  }
  if (s.output) lines.push(`  wrote ${s.output}`);
  return `${lines.join('\n')}\n`;
}
