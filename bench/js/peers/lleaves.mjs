// lleaves (the LightGBM model compiled to machine code with LLVM, bench/python/lleaves_peer.py) as
// the compiled-code reference for the package's LightGBMModel: runs the peer in a child process and
// sets its figures beside the package's per-model ones from the same run, on the same rows.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { round } from '../measure.mjs';

export const CONTENDER = 'lleaves (LightGBM only)';
const NOT_INSTALLED = 3; // lleaves_peer.py's exit code when lleaves or llvmlite cannot be imported

/** lleaves_peer.py's JSON for a model set, or { error } saying why it did not run. */
export function runLleavesPeer({ root, set, sizes, quick, log }) {
  const exe = join(root, '.venv', 'bin', 'python');
  if (!existsSync(exe)) return { error: `${exe} not found (npm run setup:python)` };
  log(`[${set.name}] lleaves (LightGBM only): bench/python/lleaves_peer.py ...`);
  const r = spawnSync(exe, [join(root, 'bench', 'python', 'lleaves_peer.py'), '--model', join(set.dir, 'lightgbm.txt'),
    '--inputs', join(set.fixtures, 'inputs.f64'), '--sizes', sizes.join(','), ...(quick ? ['--quick'] : [])], {
    cwd: root, encoding: 'utf8', maxBuffer: 1 << 26, stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (r.status === NOT_INSTALLED) return { error: 'lleaves is not installed in .venv (node bench/setup.mjs installs bench/python/requirements-lleaves.txt)' };
  return r.status === 0 ? JSON.parse(r.stdout) : { error: `lleaves_peer.py exit ${r.status ?? r.signal}` };
}

/**
 * The LightGBM model alone: the package's LightGBMModel (no compile step) against lleaves. Ratios
 * as in the main table, how many times better the package is: latency and time to be ready
 * theirs / ours, rows/s ours / theirs (package / lleaves). `target` is issue 10's bar: 1,000,000
 * rows on 1 thread at least at lleaves's rows/s (null when that batch was not measured: --quick).
 */
export function compareLightGBM(pkg, lleaves, nodesPerRow) {
  const ran = Boolean(lleaves && !lleaves.error && !lleaves.skipped);
  const model = pkg.models.lightgbm;
  const ratio = (ours, theirs, higherIsBetter) => (ours && theirs ? round(higherIsBetter ? ours / theirs : theirs / ours, 2) : null);
  const rows = [];
  const add = (what, unit, ours, theirs, higherIsBetter) => rows.push({ what, unit, package: ours ?? null, lleaves: theirs ?? null, vsLleaves: ratio(ours, theirs, higherIsBetter) });

  add('single row, median', 'us', model.predictOne.medianUs, ran ? lleaves.singleRow.medianUs : null, false);
  const batch = model.batch.map((b) => {
    const theirs = ran ? lleaves.batch.find((l) => l.rows === b.rows && l.threads === b.threads)?.rowsPerSecond ?? null : null;
    add(`batch ${b.rows.toLocaleString('en-US')} rows, ${b.threads} thread(s)`, 'rows/s', b.rowsPerSecond, theirs, true);
    return { rows: b.rows, threads: b.threads, package: b.rowsPerSecond, lleaves: theirs, packageOverLleaves: ratio(b.rowsPerSecond, theirs, true) };
  });
  const compileMs = ran ? round(lleaves.compile.uncached.seconds * 1e3, 1) : null;
  const cachedMs = ran ? round(lleaves.compile.fromCacheFile.seconds * 1e3, 1) : null;
  add('ready to score: package load vs lleaves compile', 'ms', pkg.load.lightgbmModelMs, compileMs, false);
  add('ready to score: package load vs lleaves from its cache file', 'ms', pkg.load.lightgbmModelMs, cachedMs, false);

  const at1M = batch.find((b) => b.rows === 1_000_000 && b.threads === 1);
  const top1 = batch.filter((b) => b.threads === 1).at(-1);
  const nsPerNode = (rps) => (rps ? round(1e9 / rps / nodesPerRow.lightgbm, 2) : null);
  return {
    contender: CONTENDER,
    ran,
    ...(ran ? {} : { why: lleaves?.error ?? lleaves?.skipped ?? 'not run' }),
    versions: ran ? lleaves.versions : null,
    trees: ran ? lleaves.model.trees : null,
    compile: ran ? { uncachedMs: compileMs, fromCacheFileMs: cachedMs, rawScoreModelMs: round(lleaves.compile.rawScoreModel.seconds * 1e3, 1), cacheFileBytes: lleaves.compile.uncached.cacheFileBytes } : null,
    packageLoadMs: pkg.load.lightgbmModelMs,
    exactness: ran ? lleaves.maxAbsDiffFromLightGBM : null,
    packageMaxAbsDiff: pkg.maxAbsDiffFromReference.lightgbm,
    batch,
    target: at1M ? { rows: at1M.rows, threads: 1, package: at1M.package, lleaves: at1M.lleaves, met: at1M.lleaves === null ? null : at1M.package >= at1M.lleaves } : null,
    nsPerLightGBMNode1Thread: top1 ? { rows: top1.rows, nodesPerRow: nodesPerRow.lightgbm, package: nsPerNode(top1.package), lleaves: nsPerNode(top1.lleaves) } : null,
    table: rows,
  };
}

/** Prints the comparison as a table on stdout. */
export function printLightGBMTable(cmp) {
  const fmt = (v) => (v === null || v === undefined ? '-' : v >= 1e5 ? v.toExponential(3) : String(round(v, v < 10 ? 3 : 1)));
  const header = ['LightGBM model alone', 'unit', 'LightGBMModel', 'lleaves', 'vs lleaves'];
  const lines = cmp.table.map((r) => [r.what, r.unit, fmt(r.package), fmt(r.lleaves), r.vsLleaves === null ? '-' : `${r.vsLleaves}x`]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const print = (cells) => console.log(cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  '));
  console.log('');
  print(header);
  print(widths.map((w) => '-'.repeat(w)));
  lines.forEach(print);
  if (!cmp.ran) console.log(`lleaves did not run: ${cmp.why}`);
  else {
    const e = cmp.exactness.probability.threads1;
    console.log(`lleaves ${cmp.versions.lleaves} (llvmlite ${cmp.versions.llvmlite}, LLVM ${cmp.versions.llvm}): max |difference| from LightGBM ${e.maxAbsDiff.toExponential(2)} (probability; ${e.rowsDiffering} of ${e.rows} rows differ, ${e.rowsOver1e9} by more than 1e-9); raw score ${cmp.exactness.rawScore.threads1.maxAbsDiff.toExponential(2)}.`);
  }
}
