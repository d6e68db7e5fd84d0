// What scripts/fuzz.mjs and scripts/sanitize.mjs need beyond the README's prerequisites: a clang
// whose sanitizer and libFuzzer runtimes link (Debian: clang, libclang-rt-14-dev), found by
// building a probe, so a machine without them gets a reason to print instead of a build error.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const FUZZ_PROBE = 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }\n';
const PROBE = 'int main() { return 0; }\n';

/**
 * The clang++ that links a program with `flags` ($CXX_SANITIZE or clang++ / clang++-14), as
 * { cxx }, or { missing } saying what to install.
 */
export function findClang(flags) {
  const candidates = process.env.CXX_SANITIZE ? [process.env.CXX_SANITIZE] : ['clang++', 'clang++-14'];
  const cxx = candidates.find((c) => spawnSync(c, ['--version']).status === 0);
  if (!cxx) return { missing: 'clang (Debian: apt-get install clang libclang-rt-14-dev)' };
  const dir = mkdtempSync(join(tmpdir(), 'pe-clang-'));
  try {
    // libFuzzer brings its own main.
    writeFileSync(join(dir, 'probe.cc'), flags.some((f) => /fuzzer/.test(f)) ? FUZZ_PROBE : PROBE);
    const r = spawnSync(cxx, [...flags, join(dir, 'probe.cc'), '-o', join(dir, 'probe')], { encoding: 'utf8' });
    if (r.status !== 0) {
      const lines = (r.stderr ?? '').trim().split('\n');
      const why = lines.find((l) => /cannot find|error/i.test(l)) ?? lines[0];
      return { missing: `${cxx} ${flags.join(' ')} to link (Debian: apt-get install libclang-rt-14-dev): ${why}` };
    }
    return { cxx };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** cmake's generator arguments for a new build directory: Ninja when installed, else cmake's default. */
export function generatorArgs(build) {
  if (existsSync(join(build, 'CMakeCache.txt'))) return [];
  return spawnSync('ninja', ['--version']).status === 0 ? ['-G', 'Ninja'] : [];
}
