// The one table of error codes (src/error-codes.ts) against everything that follows it: the
// generated C++ enum list and docs tables, the classes, every code named in the sources and docs,
// the errors the core throws through the addon, and the command's exit codes.
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as pe from '../dist/index.js';
import { ERROR_CODES, type ErrorCode } from '../dist/error-codes.js';
import { createError } from '../dist/errors.js';
import { loadInChild, productionDir, root } from './helpers.js';

const table = Object.entries(ERROR_CODES) as [ErrorCode, (typeof ERROR_CODES)[ErrorCode]][];
const exported = pe as unknown as Record<string, unknown>;

it('the C++ enum list, docs/errors.md and docs/cli.md are what the table generates', () => {
  const r = spawnSync(process.execPath, [join(root, 'scripts', 'gen-error-table.mjs'), '--check'], { encoding: 'utf8' });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
});

it('each code has its own exported class, which owns the code', () => {
  for (const [code, entry] of table) {
    const Cls = exported[entry.className] as new (message: string) => pe.EnsembleError;
    expect(Cls, `${entry.className} is exported`).toBeTypeOf('function');
    const e = new Cls('m');
    expect(e).toBeInstanceOf(pe.EnsembleError);
    expect([e.code, e.name, e.message]).toEqual([code, entry.className, 'm']);
    const made = createError(code, 'from native');
    expect(made).toBeInstanceOf(Cls);
    expect(made.code).toBe(code);
  }
  expect(new Set(table.map(([, e]) => e.className)).size).toBe(table.length);
  // and every exported error class is one of the table's
  const errorClasses = Object.entries(exported).filter(([, v]) => typeof v === 'function' && (v as { prototype: unknown }).prototype instanceof pe.EnsembleError);
  expect(errorClasses.map(([k]) => k).sort()).toEqual(table.map(([, e]) => e.className).sort());
});

it('exit codes are distinct, and none is 0, 1 or a signal status', () => {
  const codes = table.map(([, e]) => e.exitCode);
  expect(new Set(codes).size).toBe(codes.length);
  for (const c of codes) expect(c >= 2 && c < 126).toBe(true);
});

it('a code outside the table is never a silent default: it becomes an InternalError naming it', () => {
  const e = createError('ERR_NOT_IN_TABLE', 'boom');
  expect(e).toBeInstanceOf(pe.InternalError);
  expect(e.code).toBe('ERR_INTERNAL');
  expect(e.message).toBe('boom (unknown error code ERR_NOT_IN_TABLE)');
});

it('every ERR_ code named in the sources, scripts and docs is in the table', () => {
  // Node's own codes the sources test for are not the package's.
  const node = new Set(['ERR_MODULE_NOT_FOUND']);
  const walk = (dir: string): string[] =>
    readdirSync(join(root, dir), { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? walk(join(dir, d.name)) : [join(dir, d.name)]));
  const files = [...walk('src'), ...walk('native/core'), ...walk('native/addon'), ...walk('native/include'), ...walk('docs'), ...walk('scripts'), 'README.md', 'CHANGELOG.md'];
  const unknown: string[] = [];
  for (const f of files.filter((f) => /\.(ts|mjs|cc|h|inc|md)$/.test(f))) {
    for (const m of readFileSync(join(root, f), 'utf8').matchAll(/\bERR_[A-Z0-9_]+\b/g)) {
      if (!(m[0] in ERROR_CODES) && !node.has(m[0]) && !(f === 'CHANGELOG.md' && m[0] === 'ERR_ENSEMBLE')) unknown.push(`${f}: ${m[0]}`);
    }
  }
  expect(unknown).toEqual([]);
  // The glue names codes only through the core enum, never as strings.
  for (const f of walk('native/addon')) expect(readFileSync(join(root, f), 'utf8'), f).not.toMatch(/"ERR_/);
});

describe('errors the core throws reach JS as the class of their code', () => {
  it.each([
    ['ERR_MODEL_NOT_FOUND', `pe.LightGBMModel.load('/no/such/model.txt')`],
    ['ERR_MODEL_FORMAT', `pe.LightGBMModel.fromString('not a model')`],
    ['ERR_INVALID_ARGUMENT', `pe.ProductionEnsemble.load(${JSON.stringify(productionDir)}, { weights: { lightgbm: 1, xgboost: 1, randomForest: 1 } })`],
    ['ERR_NON_FINITE_INPUT', `pe.ProductionEnsemble.load().then((m) => m.predictProba(new Float64Array(12).fill(Infinity)))`],
    ['ERR_LIBRARY_LOAD', `pe.LightGBMModel.load(${JSON.stringify(join(productionDir, 'lightgbm.txt'))}, { lightgbmLib: '/no/such/lib_lightgbm.so' })`],
  ] as const)('%s', (code, expr) => {
    const r = loadInChild(expr);
    expect(r).toMatchObject({ ok: false, code, name: ERROR_CODES[code].className });
  });
});

describe('the command exits with the code of its error', () => {
  const cli = join(root, 'dist', 'cli', 'main.js');
  const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 });

  it.each([
    ['ERR_INVALID_ARGUMENT', ['score', '/no/such/input.csv']],
    ['ERR_MODEL_NOT_FOUND', ['info', '--models', '/no/such/models']],
  ] as const)('%s', (code, args) => {
    const r = run(...args);
    const { className, exitCode } = ERROR_CODES[code];
    expect(r.stderr).toMatch(new RegExp(`^production-ensemble: ${className} \\[${code}\\]: `));
    expect(r.status).toBe(exitCode);
  });

  it('a usage error exits 2, --version prints the version and exits 0', () => {
    const bad = run('score', '--no-such-option', 'x.csv');
    expect(bad.stderr).toContain("unknown option '--no-such-option'");
    expect(bad.status).toBe(2);
    const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;
    for (const flag of ['--version', '-V']) {
      const v = run(flag);
      expect([v.status, v.stdout, v.stderr]).toEqual([0, `${version}\n`, '']);
    }
  });
});
