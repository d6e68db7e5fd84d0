// Draws docs/benchmarks.svg from a results file of bench/js/ensemble.bench.mjs: for each model set,
// the single-row latency of the ensemble per contender and the batch throughput per contender and
// batch size (all cores), as horizontal bars on log scales with the values printed. Also rewrites
// the tables between the `<!-- results:begin -->` / `<!-- results:end -->` markers of
// docs/benchmarks.md from the same file.
// Usage: node bench/js/plot.mjs [RESULTS.json] [OUT.svg]
//   default input: the newest full (non-quick) bench/results/ensemble-*.json; output docs/benchmarks.svg
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..', '..');
const resultsDir = join(root, 'bench', 'results');
const input = process.argv[2] ?? newestFull();
const output = process.argv[3] ?? join(root, 'docs', 'benchmarks.svg');
const results = JSON.parse(readFileSync(input, 'utf8'));

function newestFull() {
  const files = readdirSync(resultsDir).filter((f) => /^ensemble-\d{4}-\d\d-\d\d\.json$/.test(f)).sort();
  if (files.length === 0) throw new Error(`no full results in ${resultsDir}: run npm run bench`);
  return join(resultsDir, files[files.length - 1]);
}

const COLORS = {
  'production-ensemble': '#1f77b4',
  'production-ensemble (library scorer)': '#9ecae1',
  'C APIs from C++': '#2ca02c',
  'onnxruntime-node': '#ff7f0e',
  'Python ensemble': '#d62728',
};
const color = (name) => COLORS[name] ?? '#7f7f7f';
const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fmt = (v, unit) => {
  if (unit === 'us') return v >= 1000 ? `${(v / 1000).toFixed(2)} ms` : `${v.toFixed(v < 10 ? 2 : 1)} µs`;
  if (v >= 1e6) return `${(v / 1e6).toFixed(2)}M/s`;
  if (v >= 1e3) return `${(v / 1e3).toFixed(0)}k/s`;
  return `${v.toFixed(0)}/s`;
};

// One panel: groups of bars (label, value) on a shared log axis.
function panel(y0, title, unit, groups, better) {
  const left = 250;
  const width = 560;
  const barH = 14;
  const gap = 4;
  const values = groups.flatMap((g) => g.bars.map((b) => b.value)).filter((v) => v > 0);
  const lo = 10 ** Math.floor(Math.log10(Math.min(...values)));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(...values)));
  const x = (v) => left + (width * (Math.log10(v) - Math.log10(lo))) / (Math.log10(hi) - Math.log10(lo));
  let y = y0 + 34;
  const parts = [`<text x="10" y="${y0 + 16}" class="title">${esc(title)}</text>`,
    `<text x="10" y="${y0 + 30}" class="note">${esc(better)}</text>`];
  for (const g of groups) {
    parts.push(`<text x="10" y="${y + 12}" class="group">${esc(g.label)}</text>`);
    y += 16;
    for (const b of g.bars) {
      const w = Math.max(1, x(b.value) - left);
      parts.push(`<text x="${left - 6}" y="${y + barH - 3}" class="label" text-anchor="end">${esc(b.name)}</text>`);
      parts.push(`<rect x="${left}" y="${y}" width="${w.toFixed(1)}" height="${barH}" fill="${color(b.name)}"/>`);
      parts.push(`<text x="${(left + w + 4).toFixed(1)}" y="${y + barH - 3}" class="value">${esc(fmt(b.value, unit))}</text>`);
      y += barH + gap;
    }
    y += 6;
  }
  for (let d = lo; d <= hi; d *= 10) {
    const xd = x(d).toFixed(1);
    parts.push(`<line x1="${xd}" y1="${y0 + 34}" x2="${xd}" y2="${y}" class="grid"/>`);
    parts.push(`<text x="${xd}" y="${y + 12}" class="axis" text-anchor="middle">${esc(fmt(d, unit))}</text>`);
  }
  return { svg: parts.join('\n'), height: y + 24 - y0 };
}

const latencyGroups = [];
const throughputGroups = [];
for (const set of results.sets) {
  const lat = set.summary
    .filter((c) => c.singleRowUs > 0)
    .map((c) => ({ name: c.contender, value: c.singleRowUs }));
  if (lat.length) latencyGroups.push({ label: `${set.name} ensemble (${set.description})`, bars: lat });
  const sizes = [...new Set(set.summary.flatMap((c) => c.batch.map((b) => b.rows)))].sort((a, b) => a - b);
  for (const rows of sizes) {
    const bars = set.summary
      .map((c) => ({ name: c.contender, value: c.batch.find((b) => b.rows === rows && b.threads === set.cores)?.rowsPerSecond }))
      .filter((b) => b.value > 0);
    if (bars.length) throughputGroups.push({ label: `${set.name} ensemble, batch of ${rows.toLocaleString('en-US')} rows, ${set.cores} threads`, bars });
  }
}

const a = panel(0, 'Single-row latency of the whole ensemble (median)', 'us', latencyGroups, 'shorter is better; log scale');
const b = panel(a.height + 10, 'Batch throughput, rows per second', 'rps', throughputGroups, 'longer is better; log scale');
const height = a.height + b.height + 40;
const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="900" height="${height}" viewBox="0 0 900 ${height}" font-family="sans-serif">
<style>
.title { font-size: 15px; font-weight: bold; }
.note, .axis { font-size: 10px; fill: #555; }
.group { font-size: 12px; font-weight: bold; fill: #333; }
.label, .value { font-size: 11px; }
.grid { stroke: #ddd; stroke-width: 1; }
</style>
<rect width="100%" height="100%" fill="white"/>
${a.svg}
${b.svg}
<text x="10" y="${height - 10}" class="note">${esc(`${results.machine.cpu}, ${results.machine.cores} cores; ${results.date.slice(0, 10)}; ${results.command}`)}</text>
</svg>
`;
writeFileSync(output, svg);
console.log(`wrote ${output} from ${input}`);

// ---------------------------------------------------------------------------------------------
// The markdown tables.

const cell = (v) => (v === null || v === undefined ? '–' : v >= 1e5 ? Math.round(v).toLocaleString('en-US') : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
const ratio = (v) => (v === null || v === undefined ? '–' : `${v >= 100 ? v.toFixed(0) : v.toFixed(2)}x`);
const md = [`Generated by \`node bench/js/plot.mjs\` from \`${input.slice(input.indexOf('bench/'))}\` (${results.date.slice(0, 16).replace('T', ' ')} UTC, \`${results.command}\`, ${results.seconds} s).`, ''];
for (const set of results.sets) {
  md.push(`### ${set.name} ensemble: ${set.description}`, '');
  md.push(`LightGBM ${set.models.lightgbmTrees} trees, XGBoost ${set.models.xgboostTrees} trees, forest ${set.models.forestTrees} trees (${set.models.forestNodes.toLocaleString('en-US')} nodes); ${set.inputs.rows.toLocaleString('en-US')} rows of \`${set.inputs.file.replace(/^.*production-ensemble-bench/, '$TMPDIR/production-ensemble-bench')}\`, tiled for larger batches. Ratios: how many times better the package is (latency: theirs / ours; rows/s: ours / theirs).`, '');
  md.push('| measurement | unit | package | C++ core | library scorer | C APIs | onnxruntime-node | Python | vs Python | vs C APIs |');
  md.push('|---|---|--:|--:|--:|--:|--:|--:|--:|--:|');
  for (const r of set.table) {
    md.push(`| ${r.what} | ${r.unit} | ${cell(r.package)} | ${cell(r.cppCore)} | ${cell(r.libraryScorer)} | ${cell(r.cApi)} | ${cell(r.onnx)} | ${cell(r.python)} | ${ratio(r.vsPython)} | ${ratio(r.vsCApi)} |`);
  }
  const wb = set.workBound;
  md.push('', `Work bound: a row visits ${cell(wb.nodesPerRow.ensemble)} tree nodes (LightGBM ${cell(wb.nodesPerRow.lightgbm)}, XGBoost ${cell(wb.nodesPerRow.xgboost)}, forest ${cell(wb.nodesPerRow.randomForest)}). Time per visited node:`, '');
  md.push('| contender | single row, ns/node | batch, 1 thread, ns/node |', '|---|--:|--:|');
  for (const [name, v] of Object.entries(wb.nsPerNode)) md.push(`| ${name} | ${cell(v.singleRow)} | ${cell(v.batch1Thread)} |`);
  const p = set.package;
  md.push('', `Exactness (max \\|difference\\| from the libraries' reference, every package path): ${Math.max(...Object.values(p.maxAbsDiffFromReference).filter((v) => v !== null))}. Async: one row ${cell(p.async.latency1Row.medianUs)} µs (scored inline), two rows through the libuv pool ${cell(p.async.latency2RowsThreadPool.medianUs)} µs (the hop: ${cell(p.async.poolHopUs)} µs). Empty native call ${cell(p.emptyNativeCall.medianUs)} µs.`);
  if (set.onnx && !set.onnx.error && set.onnx.maxAbsDiffFromReference) {
    const d = set.onnx.maxAbsDiffFromReference;
    const f = (o) => (o && typeof o === 'object' ? Object.entries(o).filter(([, v]) => typeof v === 'number' || typeof v?.maxAbsDiff === 'number').map(([k, v]) => `${k} ${(typeof v === 'number' ? v : v.maxAbsDiff).toExponential(1)}${v.rowsOver1e6 ? ` (${v.rowsOver1e6} rows > 1e-6)` : ''}`).join(', ') : '');
    const f32 = f(d.f32);
    md.push(`onnxruntime-node conversions, max \\|difference\\| from the libraries (float64 rows): ${f(d.f64)}${f32 ? `; from the libraries' own outputs on the float32-cast rows: ${f32}` : ''}.`);
  }
  const lg = set.lightgbmAlone;
  if (lg) {
    const who = lg.ran ? `lleaves ${lg.versions.lleaves} (llvmlite ${lg.versions.llvmlite}, LLVM ${lg.versions.llvm})` : `lleaves (did not run: ${lg.why})`;
    md.push('', `LightGBM model alone (${set.models.lightgbmTrees} trees): the package's \`LightGBMModel\` (no compile step) against ${who} on the same rows. Ratios: how many times better the package is.`, '');
    md.push('| measurement | unit | LightGBMModel | lleaves | vs lleaves |', '|---|---|--:|--:|--:|');
    for (const r of lg.table) md.push(`| ${r.what} | ${r.unit} | ${cell(r.package)} | ${cell(r.lleaves)} | ${ratio(r.vsLleaves)} |`);
    if (lg.ran) {
      const e = (x) => `${x.maxAbsDiff.toExponential(1)} (${x.rowsDiffering} of ${x.rows} rows differ, ${x.rowsOver1e9} by more than 1e-9)`;
      md.push('', `lleaves's max \\|difference\\| from LightGBM: probability ${e(lg.exactness.probability.threads1)}, raw score ${e(lg.exactness.rawScore.threads1)}; the package's: ${lg.packageMaxAbsDiff}. The raw-score model of that check (compiled without inlining) took ${cell(lg.compile.rawScoreModelMs)} ms to compile.`);
      if (lg.target) md.push(`Target (1,000,000 rows, 1 thread, at least lleaves's rows/s): ${lg.target.met ? 'met' : 'not met'} (${cell(lg.target.package)} against ${cell(lg.target.lleaves)} rows/s).`);
    }
  }
  md.push('');
}
const docPath = join(root, 'docs', 'benchmarks.md');
const doc = readFileSync(docPath, 'utf8');
const begin = '<!-- results:begin -->';
const end = '<!-- results:end -->';
if (doc.includes(begin) && doc.includes(end)) {
  writeFileSync(docPath, `${doc.slice(0, doc.indexOf(begin) + begin.length)}\n${md.join('\n')}\n${doc.slice(doc.indexOf(end))}`);
  console.log(`rewrote the results tables of ${docPath}`);
}
