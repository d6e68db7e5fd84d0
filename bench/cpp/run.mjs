// Builds the C++ benchmark suite (CMake Release build in build-bench/, target ensemble_bench) and
// runs it, writing Google Benchmark's JSON to bench/results/native-<date>[-quick].json.
// Usage: npm run bench:native [-- --quick] [-- --models=DIR] [-- --out=FILE]
//          [-- <Google Benchmark flags, e.g. --benchmark_filter=xgboost>]
//   --models: the model directory (default models/production; sets ENSEMBLE_BENCH_MODELS).
//   full: 2-3 minutes on 2 cores; --quick: no 1,000,000-row batches, min_time 0.05 s (~10 s).
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, relative, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..', '..');
const build = join(root, 'build-bench');
const own = (name) => process.argv.slice(2).find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const args = process.argv.slice(2).filter((a) => !/^--(models|out)=/.test(a));
const quick = args.includes('--quick');
if (own('models')) process.env.ENSEMBLE_BENCH_MODELS = resolve(own('models'));

function run(cmd, argv) {
  const r = spawnSync(cmd, argv, { cwd: root, stdio: ['ignore', process.stderr, 'inherit'] });
  if (r.status !== 0) {
    console.error(`bench:native: ${cmd} ${argv.join(' ')} failed (${r.error?.message ?? `exit ${r.status ?? r.signal}`})`);
    process.exit(1);
  }
}

run('cmake', ['-S', root, '-B', build, '-DCMAKE_BUILD_TYPE=Release', '-DENSEMBLE_BUILD_BENCHMARKS=ON',
  '-DENSEMBLE_BUILD_ADDON=OFF', '-DENSEMBLE_BUILD_TESTS=OFF']);
run('cmake', ['--build', build, '--target', 'ensemble_bench', '-j', String(availableParallelism())]);

const results = join(root, 'bench', 'results');
mkdirSync(results, { recursive: true });
const date = new Date().toISOString().slice(0, 10);
const out = own('out') ? resolve(own('out')) : join(results, `native-${date}${quick ? '-quick' : ''}.json`);
run(join(build, 'ensemble_bench'), [...args, `--benchmark_out=${out}`, '--benchmark_out_format=json']);
console.error(`bench:native: wrote ${relative(root, out)}`);
