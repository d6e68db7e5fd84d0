// Shared test helpers: fixtures (raw float64 inputs + the libraries' reference outputs), parity
// assertions that say where and by how much, and running code in a child process.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const fixtures = join(root, 'test', 'fixtures');
export const productionDir = join(root, 'models', 'production');
export const TOLERANCE = 1e-6;

/** A raw little-endian float64 file as a Float64Array. */
export function readF64(path: string): Float64Array {
  const buf = readFileSync(path);
  const out = new Float64Array(buf.length / 8);
  for (let i = 0; i < out.length; i++) out[i] = buf.readDoubleLE(i * 8);
  return out;
}

export function readJson<T = Record<string, unknown>>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

/** Rows of a flat row-major matrix. */
export function rowsOf(flat: Float64Array | Float32Array, nFeatures: number): number[][] {
  const rows: number[][] = [];
  for (let i = 0; i < flat.length; i += nFeatures) rows.push(Array.from(flat.subarray(i, i + nFeatures)));
  return rows;
}

/**
 * Asserts |actual - expected| <= tol everywhere; on failure names the worst index, its row, both
 * values, and the batch size.
 */
export function expectClose(actual: ArrayLike<number>, expectedIn: ArrayLike<number | string>, label: string, width = 1, tol = TOLERANCE): void {
  // References hold JSON numbers; non-finite library outputs are stored as "NaN" / "Infinity".
  const expected = Array.from(expectedIn, Number);
  expect(actual.length, `${label}: output length`).toBe(expected.length);
  let worst = -1;
  let worstDiff = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i] as number;
    const b = expected[i] as number;
    if (Object.is(a, b)) continue;
    const d = Math.abs(a - b);
    if (!(d <= worstDiff) || Number.isNaN(d)) {
      worstDiff = Number.isNaN(d) ? Number.POSITIVE_INFINITY : d;
      worst = i;
    }
  }
  if (worstDiff > tol) {
    const row = Math.floor(worst / width);
    throw new Error(
      `${label}: max |difference| ${worstDiff} > ${tol} at row ${row}${width > 1 ? ` column ${worst % width}` : ''} ` +
        `(got ${actual[worst]}, the library says ${expected[worst]}; batch of ${expected.length / width} rows)`,
    );
  }
}

/** Runs an ES module snippet in a fresh Node process (so a crash cannot take the runner down). */
export function runChild(code: string, env: Record<string, string> = {}): { status: number | null; signal: string | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], {
    cwd: root,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Loads a model in a child process with the given loader expression and returns the JSON it
 * prints: {ok: true} or {ok: false, name, code, message}. A crash fails the expectation below.
 */
export function loadInChild(expr: string, env: Record<string, string> = {}): { ok: boolean; name?: string; code?: string; message?: string } {
  const code = `
    import * as pe from ${JSON.stringify(join(root, 'dist', 'index.js'))};
    try {
      const m = await (${expr});
      if (m && typeof m.predictProba === 'function' && m.nFeatures) m.predictProba(new Float64Array(m.nFeatures));
      console.log(JSON.stringify({ ok: true }));
    } catch (e) {
      console.log(JSON.stringify({ ok: false, name: e.name, code: e.code, message: e.message }));
    }`;
  const r = runChild(code, env);
  if (r.signal !== null || r.status !== 0) {
    throw new Error(`child process died (status ${r.status}, signal ${r.signal}): ${r.stderr.slice(-2000)}`);
  }
  const line = r.stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(line);
}
