/**
 * `production-ensemble score`: streams a CSV of feature rows through the ensemble in chunks and
 * prints a summary; optionally writes the scores as CSV.
 * @internal
 */
import { createReadStream, createWriteStream, renameSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { parse } from 'csv-parse';
import { FeatureMismatchError } from '../errors.js';
import { ProductionEnsemble } from '../ensemble.js';

const CHUNK_ROWS = 8192;

export interface ScoreOptions {
  output?: string;
  models: string;
  threads: number;
}

function parseCell(v: string, line: number, name: string): number {
  if (v === '' || v === 'NaN' || v === 'nan' || v === 'null') return Number.NaN;
  const n = Number(v);
  if (Number.isNaN(n)) throw new TypeError(`line ${line}, column ${name}: '${v}' is not a number`);
  return n;
}

export async function scoreFile(input: string, opts: ScoreOptions): Promise<string> {
  const model = await ProductionEnsemble.load(opts.models, opts.threads > 0 ? { threads: opts.threads } : {});
  const started = performance.now();
  const names = model.featureNames;
  const n = names.length;
  const tmp = opts.output ? `${opts.output}.partial-${process.pid}` : undefined;
  const out = tmp ? createWriteStream(tmp) : undefined;
  let columns: number[] = [];
  let tsColumn = -1;
  let rows = 0;
  let ups = 0;
  let sum = 0;
  const sums = { lightgbm: 0, xgboost: 0, randomForest: 0 };
  let buf = new Float64Array(CHUNK_ROWS * n);
  let stamps: string[] = [];
  let fill = 0;

  const flush = async () => {
    if (fill === 0) return;
    const p = await model.predictModelsAsync(buf.subarray(0, fill * n));
    let text = '';
    for (let i = 0; i < fill; i++) {
      const e = p.ensemble[i] as number;
      const label = e >= model.threshold ? 1 : 0;
      ups += label;
      sum += e;
      sums.lightgbm += p.lightgbm[i] as number;
      sums.xgboost += p.xgboost[i] as number;
      sums.randomForest += p.randomForest[i] as number;
      if (out) text += `${stamps[i] ?? rows + i},${p.lightgbm[i]},${p.xgboost[i]},${p.randomForest[i]},${e},${label}\n`;
    }
    rows += fill;
    fill = 0;
    stamps = [];
    if (out && !out.write(text)) await once(out, 'drain');
  };

  try {
    if (out) out.write('timestamp,lightgbm,xgboost,random_forest,ensemble,label\n');
    const parser = createReadStream(input).pipe(parse({ bom: true, trim: true, skip_empty_lines: true, relax_column_count: false }));
    let line = 0;
    for await (const record of parser as AsyncIterable<string[]>) {
      line++;
      if (line === 1) {
        const header = record.map((h) => h.trim());
        const missing = names.filter((f) => !header.includes(f));
        if (missing.length > 0) {
          throw new FeatureMismatchError(`${input}: missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (the model needs ${names.join(', ')})`, 'ERR_FEATURE_MISMATCH');
        }
        columns = names.map((f) => header.indexOf(f));
        tsColumn = header.findIndex((h) => h === 'timestamp' || h === 'time' || h === 'date');
        continue;
      }
      const base = fill * n;
      for (let c = 0; c < n; c++) buf[base + c] = parseCell(record[columns[c] as number] ?? '', line, names[c] as string);
      if (tsColumn >= 0) stamps.push(record[tsColumn] ?? '');
      fill++;
      if (fill === CHUNK_ROWS) await flush();
    }
    await flush();
    if (out && tmp && opts.output) {
      out.end();
      await once(out, 'finish');
      renameSync(tmp, opts.output);
    }
  } catch (e) {
    if (out && tmp) {
      out.destroy();
      rmSync(tmp, { force: true });
    }
    throw e;
  } finally {
    model.close();
    buf = new Float64Array(0);
  }
  const secs = (performance.now() - started) / 1000;
  const pct = (v: number) => (rows ? ((100 * v) / rows).toFixed(1) : '0.0');
  const mean = (v: number) => (rows ? (v / rows).toFixed(4) : 'n/a');
  return [
    `scored ${rows} rows from ${input} in ${secs.toFixed(2)} s (${Math.round(rows / Math.max(secs, 1e-9))} rows/s)`,
    `  mean P(up): ensemble ${mean(sum)} | lightgbm ${mean(sums.lightgbm)} | xgboost ${mean(sums.xgboost)} | random_forest ${mean(sums.randomForest)}`,
    `  labels at threshold ${model.threshold}: up ${ups} (${pct(ups)}%), down ${rows - ups} (${pct(rows - ups)}%)`,
    opts.output ? `  wrote ${opts.output}` : '',
  ]
    .filter(Boolean)
    .join('\n')
    .concat('\n');
}
