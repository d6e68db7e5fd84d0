#!/usr/bin/env node
// The C++ core under AddressSanitizer, UndefinedBehaviorSanitizer and LeakSanitizer
// (docs/fuzzing.md): builds build-asan/ with clang (ENSEMBLE_SANITIZE: any report stops the
// program), then runs the C++ tests (both engine kernels, every parser fixture, the fuzz
// regressions) and a scoring run of the bundled models through the C++ example, which loads
// LightGBM and XGBoost and checks the engine against them. Exits 1 on any report.
// Usage: node scripts/sanitize.mjs [--no-build]
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { findClang, generatorArgs } from './clang-tools.mjs';
import { root } from './toolchain.mjs';

const { values: args } = parseArgs({ options: { 'no-build': { type: 'boolean', default: false } } });
const log = (msg) => process.stderr.write(`sanitize: ${msg}\n`);
const build = join(root, 'build-asan');
const clang = findClang(['-fsanitize=address,undefined']);
if (clang.missing) {
  log(`needs ${clang.missing}`);
  process.exit(2);
}
const cxx = clang.cxx;
if (!args['no-build']) {
  execFileSync('cmake', ['-S', root, '-B', build, ...generatorArgs(build), '-DCMAKE_BUILD_TYPE=RelWithDebInfo', `-DCMAKE_CXX_COMPILER=${cxx}`, '-DENSEMBLE_SANITIZE=ON', '-DENSEMBLE_BUILD_TESTS=ON', '-DENSEMBLE_BUILD_EXAMPLES=ON', '-DENSEMBLE_BUILD_ADDON=OFF'], { stdio: ['ignore', 'ignore', 'inherit'] });
  execFileSync('cmake', ['--build', build, '-j2'], { stdio: ['ignore', 2, 'inherit'] });
}

// The libraries are not instrumented: their allocations still go through ASan's allocator, so
// a leak of theirs would be reported too (none is: no suppressions).
const env = {
  ...process.env,
  ASAN_OPTIONS: 'detect_leaks=1:halt_on_error=1:detect_stack_use_after_return=1:strict_string_checks=1',
  UBSAN_OPTIONS: 'halt_on_error=1:print_stacktrace=1',
};
const reports = /ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:/;
const results = [];

const ctest = spawnSync('ctest', ['--test-dir', build, '--output-on-failure'], { cwd: root, env, encoding: 'utf8', maxBuffer: 256 << 20 });
const summary = /(\d+)% tests passed, (\d+) tests failed out of (\d+)/.exec(ctest.stdout);
results.push({ run: 'C++ tests (ctest)', ok: ctest.status === 0 && !reports.test(ctest.stdout), detail: summary?.[0] ?? 'no summary' });
if (!results.at(-1).ok) process.stderr.write(ctest.stdout.split('\n').slice(-120).join('\n'));

const example = spawnSync(join(build, 'ensemble_example'), [join(root, 'models', 'production'), join(root, 'data', 'sample_features.csv')], { cwd: root, env, encoding: 'utf8', maxBuffer: 256 << 20 });
const rows = example.stdout.trim().split('\n').length - 1;
results.push({ run: 'scoring run (ensemble_example, bundled models)', ok: example.status === 0 && !reports.test(example.stderr) && rows > 0, detail: `${rows} rows scored; ${example.stderr.trim().split('\n').pop()}` });
if (!results.at(-1).ok) process.stderr.write(example.stderr);

for (const r of results) log(`${r.ok ? 'clean' : 'FAILED'}: ${r.run}: ${r.detail}`);
process.exitCode = results.every((r) => r.ok) ? 0 : 1;
