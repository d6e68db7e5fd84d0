// A short pass of the libFuzzer harnesses over every parser of outside bytes, and the C++ tests
// plus a scoring run under ASan + UBSan + LeakSanitizer (scripts/fuzz.mjs, scripts/sanitize.mjs;
// docs/fuzzing.md). Both need clang: a printed skip without it, a failure in CI (.ci/run
// installs it).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { root } from './helpers.js';

function missing(what: string, skip: () => void): void {
  if (process.env.PRODUCTION_ENSEMBLE_CI === '1') throw new Error(`${what} (CI installs it: .ci/run)`);
  console.log(`skipped: ${what}`);
  skip();
}
const script = (name: string, args: string[]) =>
  spawnSync(process.execPath, [join(root, 'scripts', name), ...args], { cwd: root, encoding: 'utf8', timeout: 1_500_000, maxBuffer: 256 << 20 });

it('every fuzz target runs its pass clean (LightGBM text, XGBoost JSON/UBJ, forest, metadata)', (ctx) => {
  const seconds = process.env.PRODUCTION_ENSEMBLE_FUZZ_SECONDS ?? '20';
  const r = script('fuzz.mjs', ['--seconds', seconds, '--json']);
  if (r.status === 2) return missing(r.stderr.trim(), () => ctx.skip());
  const results = JSON.parse(r.stdout.trim().split('\n').pop() ?? '[]') as { target: string; executions: number; crashes: string[]; ok: boolean }[];
  expect(results.map((x) => x.target)).toEqual(['lightgbm_text', 'xgboost_model', 'forest', 'metadata']);
  for (const x of results) {
    expect(x.crashes, `${x.target}: ${r.stderr.slice(-4000)}`).toEqual([]);
    expect(x.ok, x.target).toBe(true);
    expect(x.executions, x.target).toBeGreaterThan(100);
  }
  expect(r.status).toBe(0);
}, 1_500_000);

it('the C++ tests and a scoring run of the bundled models are clean under ASan, UBSan and LSan', (ctx) => {
  const r = script('sanitize.mjs', []);
  if (r.status === 2) return missing(r.stderr.trim(), () => ctx.skip());
  expect(r.status, r.stderr.slice(-6000)).toBe(0);
  expect(r.stderr).toMatch(/clean: C\+\+ tests \(ctest\): 100% tests passed, 0 tests failed out of \d+/);
  expect(r.stderr).toMatch(/clean: scoring run .*: \d+ rows scored/);
}, 1_500_000);
