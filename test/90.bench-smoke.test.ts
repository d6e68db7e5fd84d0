// The quick benchmark completes and writes valid JSON. The package's own part always runs; each
// peer (the C++ suite on Google Benchmark, the Python ensemble, onnxruntime-node, lleaves) runs
// when it is installed and is skipped with the reason otherwise, so `npm test` passes with README's
// prerequisites alone. CI (.ci/run sets PRODUCTION_ENSEMBLE_CI=1) installs every peer through
// `npm run bench`, and there a missing peer fails. Only completion and shape are checked; the
// numbers are read in docs/benchmarks.md (this machine is shared and noisy).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { root } from './helpers.js';

const ci = process.env.PRODUCTION_ENSEMBLE_CI === '1';
const work = mkdtempSync(join(tmpdir(), 'bench-smoke-'));
const venvPython = join(root, '.venv', 'bin', 'python');

const pythonImports = (modules: string) => existsSync(venvPython) && spawnSync(venvPython, ['-c', `import ${modules}`]).status === 0;

/** Why each peer cannot run here, or '' when it can. */
function missing(): { native: string; python: string; onnx: string; lleaves: string } {
  // CMake's own lookup, as bench/cpp/run.mjs's build does it (a NONE project configures in ~0.1 s).
  const probe = join(work, 'probe');
  writeFileSync(join(work, 'CMakeLists.txt'), 'cmake_minimum_required(VERSION 3.19)\nproject(probe NONE)\nfind_package(benchmark REQUIRED)\n');
  const cmake = spawnSync('cmake', ['-S', work, '-B', probe], { encoding: 'utf8' });
  return {
    native: cmake.error
      ? `cmake cannot run (${cmake.error.message})`
      : cmake.status === 0
        ? ''
        : 'Google Benchmark is not installed (Debian: apt-get install libbenchmark-dev)',
    python: pythonImports('lightgbm, xgboost, sklearn, numpy') ? '' : `${venvPython} cannot import lightgbm, xgboost, sklearn (npm run setup:python)`,
    onnx:
      !existsSync(join(root, 'bench', 'node_modules', 'onnxruntime-node', 'package.json'))
        ? 'onnxruntime-node is not installed in bench/ (node bench/setup.mjs)'
        : pythonImports('onnx, onnxmltools, skl2onnx')
          ? ''
          : `${venvPython} lacks the ONNX converters of bench/python/requirements.txt (node bench/setup.mjs)`,
    lleaves: pythonImports('lleaves, lightgbm, numpy')
      ? ''
      : `${venvPython} cannot import lleaves (node bench/setup.mjs installs bench/python/requirements-lleaves.txt)`,
  };
}

// In CI nothing is skipped: npm run bench installs the peers first, and each must then run.
const skip = ci ? { native: '', python: '', onnx: '', lleaves: '' } : missing();
for (const [peer, reason] of Object.entries(skip)) if (reason) console.warn(`bench smoke: skipping the ${peer} peer: ${reason}`);

// The results file (bench/js/ensemble.bench.mjs), read field by field below.
type Json = any;
let results: Json;
let set: Json;

beforeAll(() => {
  const out = join(work, 'quick.json');
  const flags = ['--quick', '--out', out, ...Object.entries(skip).filter(([, reason]) => reason).map(([peer]) => `--no-${peer}`)];
  const r = ci
    ? spawnSync('npm', ['run', 'bench', '--', ...flags], { cwd: root, encoding: 'utf8', maxBuffer: 1 << 26 })
    : spawnSync(process.execPath, [join(root, 'bench', 'js', 'ensemble.bench.mjs'), ...flags], { cwd: root, encoding: 'utf8', maxBuffer: 1 << 26 });
  expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
  results = JSON.parse(readFileSync(out, 'utf8'));
  set = results.sets[0];
}, 900_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

it('the package: completes, writes valid JSON, scores exactly and measures every path', () => {
  expect(results.quick).toBe(true);
  expect(results.sets.map((s: { name: string }) => s.name)).toEqual(['default']);
  for (const [what, diff] of Object.entries(set.package.maxAbsDiffFromReference)) expect(diff, what).toBeLessThanOrEqual(1e-6);
  expect(set.package.singleRow.predictOne.medianUs).toBeGreaterThan(0);
  expect(set.package.scorers).toEqual({ lightgbm: 'engine', xgboost: 'engine' });
  const contenders = set.summary.map((c: { contender: string }) => c.contender);
  expect(contenders.slice(0, 2)).toEqual(['production-ensemble', 'production-ensemble (library scorer)']);
  for (const c of set.summary) expect(c.singleRowUs, c.contender).toBeGreaterThan(0);
  expect(set.table.length).toBeGreaterThan(10);
  // LightGBMModel alone at every batch size on 1 thread and on all cores: what lleaves is set against.
  const alone = set.lightgbmAlone.batch.map((b: { rows: number; threads: number; package: number }) => [b.rows, b.threads, b.package > 0]);
  expect(alone).toEqual(results.config.sizes.flatMap((rows: number) => [...new Set([1, set.cores])].map((threads) => [rows, threads, true])));
  expect(set.lightgbmAlone.packageLoadMs).toBeGreaterThan(0);
});

describe('the peers', () => {
  const contenders = () => set.summary.map((c: { contender: string }) => c.contender);
  const title = (what: string, reason: string) => (reason ? `${what} (skipped: ${reason})` : what);

  it.skipIf(skip.native !== '')(title('C APIs from C++ (Google Benchmark)', skip.native), () => {
    expect(set.native.error, set.native.error).toBeUndefined();
    expect(contenders()).toContain('C APIs from C++');
  });

  it.skipIf(skip.onnx !== '')(title('onnxruntime-node', skip.onnx), () => {
    expect(set.onnx.error, set.onnx.error).toBeUndefined();
    expect(contenders()).toContain('onnxruntime-node');
  });

  it.skipIf(skip.python !== '')(title('the Python ensemble', skip.python), () => {
    expect(set.python.error, set.python.error).toBeUndefined();
    expect(contenders()).toContain('Python ensemble');
  });

  it.skipIf(skip.lleaves !== '')(title('lleaves (LightGBM only)', skip.lleaves), () => {
    expect(set.lleaves.error, set.lleaves.error).toBeUndefined();
    const cmp = set.lightgbmAlone;
    expect(cmp.contender).toBe('lleaves (LightGBM only)');
    expect(cmp.ran).toBe(true);
    expect(cmp.compile.uncachedMs).toBeGreaterThan(0);
    expect(cmp.compile.fromCacheFileMs).toBeGreaterThan(0);
    for (const b of cmp.batch) expect(b.lleaves, `${b.rows} rows, ${b.threads} thread(s)`).toBeGreaterThan(0);
    for (const b of cmp.batch) expect(b.packageOverLleaves).toBeCloseTo(b.package / b.lleaves, 1);
    // Same model, same rows. The pinned lleaves adds the trees in another order than LightGBM (a few
    // ulp), but on the bundled model no row takes another leaf: more would mean other rows or model.
    for (const b of set.lleaves.batch) expect(b.maxAbsDiffFromLightGBM, `${b.rows} rows, ${b.threads} thread(s)`).toBeLessThanOrEqual(1e-9);
    for (const [what, byThreads] of Object.entries(cmp.exactness)) {
      for (const d of Object.values(byThreads as Record<string, { rows: number; rowsOver1e9: number }>)) {
        expect(d.rows, what).toBe(set.inputs.rows);
        expect(d.rowsOver1e9, what).toBe(0);
      }
    }
  });

  it.runIf(ci)('in CI (PRODUCTION_ENSEMBLE_CI=1): every peer ran, in the benchmark order', () => {
    expect(contenders()).toEqual(['production-ensemble', 'production-ensemble (library scorer)', 'C APIs from C++', 'onnxruntime-node', 'Python ensemble']);
    expect(set.lightgbmAlone.ran, set.lightgbmAlone.why).toBe(true);
  });
});
