// The prebuilt addons as the tarball ships them (docs/prebuilds.md): every file loads on glibc
// 2.28 (its symbol versions read with objdump), the addon carries its own C++ runtime and takes
// libm from glibc as the libraries do, the linux-x64 addon is the very file this suite loads, the
// linux-arm64 one scores the reference rows under qemu, and `npm pack` refuses a tarball
// without them.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { libcMismatch, GLIBC_FLOOR as GLIBC_FLOOR_TS } from '../dist/binding.js';
import { root } from './helpers.js';
// The build scripts' own module (plain JavaScript): the same targets and checks they apply.
import * as toolchainModule from '../scripts/toolchain.mjs';

interface Target {
  key: string;
  arch: string;
  machine: number;
}
const toolchain = toolchainModule as {
  GLIBC_FLOOR: string;
  PREBUILD_NAME: string;
  PREBUILD_TARGETS: Target[];
  elfMachine(file: string): number | null;
  glibcProblems(file: string, options: { addon: boolean }): string[];
};
const { GLIBC_FLOOR, PREBUILD_NAME, PREBUILD_TARGETS, elfMachine, glibcProblems } = toolchain;

const work = mkdtempSync(join(tmpdir(), 'pe-prebuilds-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

// CI builds the prebuilds and installs every tool (.ci/run): there a missing one is a failure.
function missing(what: string, skip: () => void): void {
  if (process.env.PRODUCTION_ENSEMBLE_CI === '1') throw new Error(`${what} (CI makes it: .ci/run)`);
  console.log(`skipped: ${what}`);
  skip();
}
const has = (cmd: string, args: string[]) => spawnSync(cmd, args).status === 0;
const prebuild = (t: Target) => join(root, 'prebuilds', t.key);

it('the symbol check rejects what the system compiler builds (glibc and libstdc++ of this machine)', (ctx) => {
  if (!has('g++', ['--version']) || !has('objdump', ['--version'])) return missing('g++ and objdump (binutils)', () => ctx.skip());
  const src = join(work, 'probe.cc');
  writeFileSync(src, '#include <string>\n#include <thread>\nextern "C" int probe(const char* s) { std::thread t([]{}); t.join(); return std::string(s).size(); }\n');
  const lib = join(work, 'probe.so');
  execFileSync('g++', ['-shared', '-fPIC', '-O2', src, '-o', lib]);
  const problems = glibcProblems(lib, { addon: true }).join('\n');
  expect(problems).toMatch(/needs GLIBCXX_3\.4\.\d+/);
  expect(problems).toContain('needs libstdc++.so.6, not part of glibc');
  expect(problems).toMatch(/exports \d+ symbols/);
});

describe('the loader (src/binding.ts) before it dlopens a prebuild', () => {
  const file = join(root, 'prebuilds', 'linux-x64', PREBUILD_NAME);
  it('refuses a glibc prebuild on musl and on a glibc older than the floor, saying what to do', () => {
    expect(GLIBC_FLOOR_TS).toBe(GLIBC_FLOOR);
    expect(libcMismatch(file, '2.36')).toBe(null);
    expect(libcMismatch(file, GLIBC_FLOOR)).toBe(null);
    expect(libcMismatch(file, '2.27')).toBe(`${file} needs glibc >= 2.28, and this system has glibc 2.27; build the addon from source as docs/install.md says`);
    expect(libcMismatch(file, undefined)).toMatch(/is built for glibc, and this system's C library is not glibc \(musl\?\); build the addon from source/);
    // A local build (build/Release) has no tags: it was built for the machine it is on.
    expect(libcMismatch(join(root, 'build', 'Release', 'production_ensemble.node'), undefined)).toBe(null);
  });
});

describe.each(PREBUILD_TARGETS)('prebuilds/$key', (t) => {
  it(`holds ${PREBUILD_NAME} and the three libraries, all for ${t.arch} and glibc >= ${GLIBC_FLOOR}`, (ctx) => {
    if (!existsSync(prebuild(t))) return missing(`no prebuilds/${t.key} (npm run setup:zig && npm run build:prebuilds)`, () => ctx.skip());
    if (!has('objdump', ['--version'])) return missing('objdump (binutils)', () => ctx.skip());
    const addon = join(prebuild(t), PREBUILD_NAME);
    expect(elfMachine(addon)).toBe(t.machine);
    expect(glibcProblems(addon, { addon: true })).toEqual([]);
    for (const lib of ['lib_lightgbm.so', 'libxgboost.so']) {
      expect(elfMachine(join(prebuild(t), lib)), lib).toBe(t.machine);
      expect(glibcProblems(join(prebuild(t), lib), { addon: false }), lib).toEqual([]);
    }
  });
});

it('the linux-x64 prebuild is the addon this suite loads, byte for byte', (ctx) => {
  const host = PREBUILD_TARGETS.find((t) => t.key === `${process.platform}-${process.arch}`);
  if (!host) return missing(`no prebuild target for ${process.platform}-${process.arch}`, () => ctx.skip());
  if (!existsSync(prebuild(host))) return missing(`no prebuilds/${host.key} (npm run build:prebuilds)`, () => ctx.skip());
  // node-gyp-build (src/binding.ts) takes build/Release first: the file the tests run.
  const tested = join(root, 'build', 'Release', 'production_ensemble.node');
  expect(readFileSync(join(prebuild(host), PREBUILD_NAME)).equals(readFileSync(tested))).toBe(true);
});

it('the linux-arm64 prebuild, installed from the tarball, scores the reference rows under qemu on the engine', (ctx) => {
  if (!existsSync(join(root, 'prebuilds', 'linux-arm64'))) return missing('no prebuilds/linux-arm64 (npm run build:prebuilds)', () => ctx.skip());
  const r = spawnSync(process.execPath, [join(root, 'scripts', 'smoke-arm64.mjs')], { cwd: root, encoding: 'utf8', timeout: 900_000 });
  if (r.status === 2) return missing(r.stderr.trim(), () => ctx.skip());
  expect(r.status, r.stderr).toBe(0);
  const got = JSON.parse(r.stdout.trim().split('\n').pop() as string) as { arch: string; rows: number; scorers: Record<string, string>; maxAbsDiff: Record<string, number> };
  expect(got.arch).toBe('arm64');
  expect(got.rows).toBeGreaterThanOrEqual(1000);
  expect(got.scorers).toEqual({ lightgbm: 'engine', xgboost: 'engine' });
  for (const [what, d] of Object.entries(got.maxAbsDiff)) expect(d, what).toBeLessThanOrEqual(1e-6);
}, 900_000);

describe('npm pack', () => {
  const pkg = join(work, 'pkg');
  // A package with this one's prepack step and nothing to build: npm runs the step as on the real one.
  const setUp = () => {
    mkdirSync(join(pkg, 'scripts'), { recursive: true });
    for (const f of ['prepack.mjs', 'toolchain.mjs', 'toolchain.json']) copyFileSync(join(root, 'scripts', f), join(pkg, 'scripts', f));
    const real = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: 'pe-pack-probe', version: '1.0.0', files: ['scripts', 'prebuilds'], scripts: { prepack: real.scripts.prepack } }));
  };
  const pack = (env: Record<string, string> = {}) =>
    spawnSync('npm', ['pack', '--dry-run', '--json'], { cwd: pkg, encoding: 'utf8', timeout: 120_000, env: { ...process.env, PRODUCTION_ENSEMBLE_PACK_WITHOUT_PREBUILDS: '', ...env } });

  it('refuses a tarball without the prebuilds, naming each missing one', () => {
    setUp();
    const r = pack();
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('refusing to pack');
    for (const t of PREBUILD_TARGETS) expect(r.stderr).toContain(`prebuilds/${t.key}/ is missing`);
    expect(r.stderr).toContain('npm run build:prebuilds');
  });

  it('packs one anyway with PRODUCTION_ENSEMBLE_PACK_WITHOUT_PREBUILDS=1, saying so', () => {
    setUp();
    const r = pack({ PRODUCTION_ENSEMBLE_PACK_WITHOUT_PREBUILDS: '1' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('packing WITHOUT prebuilds');
  });

  it('refuses an addon built for the wrong architecture, and packs the real prebuilds', (ctx) => {
    if (!PREBUILD_TARGETS.every((t) => existsSync(prebuild(t)))) return missing('no prebuilds (npm run build:prebuilds)', () => ctx.skip());
    setUp();
    const [x64, arm64] = PREBUILD_TARGETS as [Target, Target];
    rmSync(join(pkg, 'prebuilds'), { recursive: true, force: true });
    mkdirSync(join(pkg, 'prebuilds'));
    symlinkSync(prebuild(x64), join(pkg, 'prebuilds', x64.key));
    // The arm64 directory with the x64 addon in it.
    mkdirSync(join(pkg, 'prebuilds', arm64.key));
    for (const f of readdirSync(prebuild(arm64)).filter((f) => f !== PREBUILD_NAME)) symlinkSync(join(prebuild(arm64), f), join(pkg, 'prebuilds', arm64.key, f));
    symlinkSync(join(prebuild(x64), PREBUILD_NAME), join(pkg, 'prebuilds', arm64.key, PREBUILD_NAME));
    const wrong = pack();
    expect(wrong.status).not.toBe(0);
    expect(wrong.stderr).toContain(`prebuilds/${arm64.key}/${PREBUILD_NAME} is not an ELF file for arm64`);
    rmSync(join(pkg, 'prebuilds', arm64.key), { recursive: true });
    symlinkSync(prebuild(arm64), join(pkg, 'prebuilds', arm64.key));
    const right = pack();
    expect(right.status, right.stderr).toBe(0);
  });
});
