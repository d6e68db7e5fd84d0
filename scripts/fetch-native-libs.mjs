#!/usr/bin/env node
// Downloads the pinned official LightGBM and XGBoost wheels from PyPI with `pip download` and
// extracts their shared libraries into native/lib/<platform>-<arch>/ (pip is only a downloader
// here: no Python runs when the package scores). Idempotent: does nothing when the right
// versions are already there. Usage: node scripts/fetch-native-libs.mjs [--force] [--dest DIR]
// [--arch x64|arm64] (another architecture's wheels, for a cross-compiled prebuild).
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const pins = JSON.parse(readFileSync(join(root, 'scripts', 'native-libs.json'), 'utf8'));
const { values: args } = parseArgs({
  options: { force: { type: 'boolean', default: false }, dest: { type: 'string' }, arch: { type: 'string', default: process.arch } },
});
const platformKey = `${process.platform}-${args.arch}`;
// Linux: the manylinux wheels for glibc 2.28 and older, whatever this machine runs, so the
// libraries a prebuild bundles load wherever its addon does (docs/prebuilds.md).
const machine = { x64: 'x86_64', arm64: 'aarch64' }[args.arch];
if (process.platform === 'linux' && !machine) throw new Error(`--arch ${args.arch}: only x64 and arm64 have wheels`);
if (process.platform !== 'linux' && args.arch !== process.arch) throw new Error('--arch: only on Linux');
const platforms = process.platform === 'linux' ? ['manylinux2014', 'manylinux_2_28'].flatMap((p) => ['--platform', `${p}_${machine}`]) : [];
const dest = resolve(args.dest ?? join(root, 'native', 'lib', platformKey));
const isMac = process.platform === 'darwin';
const ext = isMac ? 'dylib' : 'so';
const libs = [
  { name: 'lightgbm', pkg: 'lightgbm', version: pins.lightgbm, member: `lightgbm/lib/lib_lightgbm.${ext}` },
  // Linux and Windows have the CPU-only xgboost-cpu wheel; macOS has only the full one.
  { name: 'xgboost', pkg: isMac ? 'xgboost' : 'xgboost-cpu', version: pins.xgboost, member: `xgboost/lib/libxgboost.${ext}` },
];

function log(msg) {
  process.stderr.write(`production-ensemble: ${msg}\n`);
}

function upToDate(lib) {
  const file = join(dest, lib.member.split('/').pop());
  const versionFile = `${file}.version`;
  return existsSync(file) && existsSync(versionFile) && readFileSync(versionFile, 'utf8').trim() === lib.version;
}

function findPython() {
  const candidates = [process.env.PYTHON, 'python3', 'python'].filter(Boolean);
  for (const py of candidates) {
    try {
      execFileSync(py, ['-m', 'pip', '--version'], { stdio: 'ignore' });
      return py;
    } catch {
      // try the next one
    }
  }
  throw new Error(
    'pip is needed to download the LightGBM and XGBoost wheels, and no `python3 -m pip` was found. ' +
      'Install Python 3 with pip (Debian/Ubuntu: apt-get install python3-pip), or set PYTHON to a ' +
      'Python that has pip, or point LIGHTGBM_LIB / XGBOOST_LIB at existing libraries.',
  );
}

const todo = libs.filter((lib) => args.force || !upToDate(lib));
if (todo.length === 0) {
  log(`native libraries already in ${dest}`);
  process.exit(0);
}
const python = findPython();
const work = mkdtempSync(join(tmpdir(), 'pe-wheels-'));
try {
  const specs = todo.map((lib) => `${lib.pkg}==${lib.version}`);
  log(`downloading ${specs.join(', ')} with pip`);
  execFileSync(python, ['-m', 'pip', 'download', '--quiet', '--no-deps', '--only-binary=:all:', ...platforms, '-d', work, ...specs], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  mkdirSync(dest, { recursive: true });
  for (const lib of todo) {
    const prefix = lib.pkg.replace(/-/g, '_');
    const wheel = readdirSync(work).find((f) => f.startsWith(`${prefix}-${lib.version}-`) && f.endsWith('.whl'));
    if (!wheel) throw new Error(`pip did not download a wheel for ${lib.pkg}==${lib.version}`);
    const out = join(work, `x-${lib.name}`);
    // A wheel is a zip file; Python's zipfile (already required for pip) unpacks it.
    execFileSync(python, ['-m', 'zipfile', '-e', join(work, wheel), out]);
    const target = join(dest, lib.member.split('/').pop());
    copyFileSync(join(out, lib.member), target);
    writeFileSync(`${target}.version`, `${lib.version}\n`);
    // xgboost-cpu's Linux wheel brings its own OpenMP runtime in xgboost_cpu.libs/; the loader
    // opens it from beside libxgboost.so before libxgboost itself (see library_loader.cc).
    for (const extra of ['xgboost_cpu.libs', 'xgboost.libs']) {
      const extraDir = join(out, extra);
      if (!existsSync(extraDir)) continue;
      for (const f of readdirSync(extraDir)) copyFileSync(join(extraDir, f), join(dest, f));
    }
    log(`${lib.name} ${lib.version} -> ${target}`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
