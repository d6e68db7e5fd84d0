#!/usr/bin/env node
// Fuzzes every parser of outside bytes the package owns (test/fuzz/fuzz_targets.h) with
// libFuzzer under ASan + UBSan: builds build-fuzz/ with clang (-DENSEMBLE_BUILD_FUZZERS=ON),
// seeds each target's corpus with the real files of test/fixtures and models/, runs each for a
// bounded time, and prints executions, coverage and crashes (docs/fuzzing.md). A crash leaves
// its input in build-fuzz/crashes/ and exits 1; the corpus grows across runs in build-fuzz/.
// Usage: node scripts/fuzz.mjs [--seconds 60] [--target lightgbm_text ...] [--json]
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { findClang, generatorArgs } from './clang-tools.mjs';
import { root } from './toolchain.mjs';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '60' },
    target: { type: 'string', multiple: true },
    json: { type: 'boolean', default: false },
  },
});
const log = (msg) => process.stderr.write(`fuzz: ${msg}\n`);
const build = join(root, 'build-fuzz');
const fixtures = join(root, 'test', 'fixtures');
const production = join(root, 'models', 'production');
// Larger seeds make every execution slower: the production models (1-5 MB) are left to the tests.
const MAX_SEED = 256 * 1024;
const files = (dir, re) => (existsSync(dir) ? readdirSync(dir).filter((f) => re.test(f)).map((f) => join(dir, f)) : []);
const modelDirs = existsSync(join(fixtures, 'models'))
  ? readdirSync(join(fixtures, 'models'), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => join(fixtures, 'models', d.name))
  : [];

const TARGETS = {
  lightgbm_text: {
    seeds: () => [...files(join(fixtures, 'parsers'), /^lgb.*\.txt$/), ...modelDirs.flatMap((d) => files(d, /^model\.txt$/)), ...files(production, /\.txt$/)],
  },
  xgboost_model: {
    seeds: () => [...files(join(fixtures, 'parsers'), /^xgb.*\.(json|ubj)$/), ...modelDirs.flatMap((d) => files(d, /^model\.(json|ubj)$/)), ...files(production, /^xgboost\.json$/)],
  },
  forest: { seeds: () => [...files(join(fixtures, 'forest'), /\.forest$/), ...modelDirs.flatMap((d) => files(d, /^model\.forest$/)), ...files(production, /\.forest$/)] },
  metadata: { seeds: () => files(production, /metadata\.json$/) },
};
const targets = args.target ?? Object.keys(TARGETS);
for (const t of targets) if (!TARGETS[t]) throw new Error(`unknown target ${t} (${Object.keys(TARGETS).join(', ')})`);

const clang = findClang(['-fsanitize=fuzzer,address,undefined']);
if (clang.missing) {
  log(`needs ${clang.missing}`);
  process.exit(2);
}
const cxx = clang.cxx;
execFileSync('cmake', ['-S', root, '-B', build, ...generatorArgs(build), '-DCMAKE_BUILD_TYPE=RelWithDebInfo', `-DCMAKE_CXX_COMPILER=${cxx}`, '-DENSEMBLE_BUILD_FUZZERS=ON', '-DENSEMBLE_BUILD_ADDON=OFF'], { stdio: ['ignore', 'ignore', 'inherit'] });
execFileSync('cmake', ['--build', build, '-j2', '--target', ...targets.map((t) => `fuzz_${t}`)], { stdio: ['ignore', 2, 'inherit'] });

const results = [];
for (const t of targets) {
  const corpus = join(build, 'corpus', t);
  const seeds = join(build, 'seeds', t);
  const crashes = join(build, 'crashes');
  for (const d of [corpus, seeds, crashes]) mkdirSync(d, { recursive: true });
  const seedFiles = TARGETS[t].seeds().filter((f) => statSync(f).size <= MAX_SEED);
  for (const f of seedFiles) copyFileSync(f, join(seeds, `${basename(join(f, '..'))}-${basename(f)}`));
  const dict = join(root, 'test', 'fuzz', `${t}.dict`);
  const r = spawnSync(
    join(build, `fuzz_${t}`),
    [
      `-max_total_time=${args.seconds}`,
      '-print_final_stats=1',
      '-timeout=10',
      '-rss_limit_mb=2048',
      `-artifact_prefix=${crashes}/${t}-`,
      ...(existsSync(dict) ? [`-dict=${dict}`] : []),
      corpus,
      seeds,
    ],
    { encoding: 'utf8', maxBuffer: 256 << 20, env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=1', UBSAN_OPTIONS: 'print_stacktrace=1' } },
  );
  const out = r.stderr ?? '';
  const stat = (name) => Number(new RegExp(`stat::${name}:\\s+(\\d+)`).exec(out)?.[1] ?? NaN);
  const last = [...out.matchAll(/#(\d+)\s+\w+\s+cov: (\d+) ft: (\d+) corp: (\d+)/g)].pop();
  const artifacts = [...out.matchAll(/Test unit written to (\S+)/g)].map((m) => m[1]);
  const result = {
    target: t,
    seeds: seedFiles.length,
    seconds: Number(args.seconds),
    executions: stat('number_of_executed_units'),
    coverage: Number(last?.[2] ?? NaN),
    features: Number(last?.[3] ?? NaN),
    corpus: Number(last?.[4] ?? NaN),
    crashes: artifacts,
    ok: r.status === 0 && artifacts.length === 0,
  };
  results.push(result);
  if (!result.ok) {
    log(`${t}: FAILED (exit ${r.status})\n${out.split('\n').slice(-80).join('\n')}`);
  } else {
    log(`${t}: ${result.executions} executions clean, cov ${result.coverage}, corpus ${result.corpus}`);
  }
}

if (args.json) {
  console.log(JSON.stringify(results));
} else {
  console.log('| target | seeds | seconds | executions | coverage (edges) | corpus | crashes |');
  console.log('|---|---|---|---|---|---|---|');
  for (const r of results) console.log(`| ${r.target} | ${r.seeds} | ${r.seconds} | ${r.executions} | ${r.coverage} | ${r.corpus} | ${r.crashes.length} |`);
}
process.exitCode = results.every((r) => r.ok) ? 0 : 1;
