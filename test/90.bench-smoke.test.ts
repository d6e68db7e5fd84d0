// The benchmark as CI runs it: `npm run bench -- --quick` sets up the peers, runs every contender
// on the bundled ensemble and writes valid JSON. Only completion and shape are checked here; the
// numbers are read in docs/benchmarks.md, not asserted (this machine is shared and noisy).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { root } from './helpers.js';

it('npm run bench -- --quick completes with every contender and writes valid JSON', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-smoke-'));
  try {
    const out = join(dir, 'quick.json');
    const r = spawnSync('npm', ['run', 'bench', '--', '--quick', '--out', out], { cwd: root, encoding: 'utf8', maxBuffer: 1 << 26 });
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    const results = JSON.parse(readFileSync(out, 'utf8'));
    expect(results.quick).toBe(true);
    expect(results.sets.map((s: { name: string }) => s.name)).toEqual(['default']);
    const set = results.sets[0];
    for (const peer of ['python', 'native', 'onnx']) expect(set[peer].error, `${peer}: ${set[peer].error}`).toBeUndefined();
    for (const [what, diff] of Object.entries(set.package.maxAbsDiffFromReference)) expect(diff, what).toBeLessThanOrEqual(1e-6);
    expect(set.package.singleRow.predictOne.medianUs).toBeGreaterThan(0);
    expect(set.package.scorers).toEqual({ lightgbm: 'engine', xgboost: 'engine' });
    expect(set.summary.map((c: { contender: string }) => c.contender)).toEqual([
      'production-ensemble', 'production-ensemble (library scorer)', 'C APIs from C++', 'onnxruntime-node', 'Python ensemble',
    ]);
    for (const c of set.summary) expect(c.singleRowUs, c.contender).toBeGreaterThan(0);
    expect(set.table.length).toBeGreaterThan(10);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 900_000);
