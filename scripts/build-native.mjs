#!/usr/bin/env node
// Builds the addon from CMakeLists.txt, the one build definition, with cmake-js. When zig is
// found (ZIG, or .tools/bin/zig from `npm run setup:zig`) it builds with the prebuilds'
// toolchain (cmake/zig.toolchain.cmake: glibc 2.28 symbols, libc++ linked in, stripped), so the
// build/Release addon the tests load is the very file `npm run build:prebuilds` ships; without
// zig, with the system compiler (a local build that needs this machine's glibc and libstdc++).
// Usage: node scripts/build-native.mjs [--arch x64|arm64] [--toolchain zig|system] [--out DIR]
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { PREBUILD_TARGETS, findZig, root } from './toolchain.mjs';

const require = createRequire(import.meta.url);
const log = (msg) => process.stderr.write(`production-ensemble: ${msg}\n`);
const { values: args } = parseArgs({
  options: {
    arch: { type: 'string', default: process.arch },
    toolchain: { type: 'string', default: process.env.PRODUCTION_ENSEMBLE_TOOLCHAIN },
    out: { type: 'string' },
  },
});
const cross = args.arch !== process.arch;
const out = args.out ?? (cross ? `build-${args.arch}` : 'build');
const target = PREBUILD_TARGETS.find((t) => t.platform === process.platform && t.arch === args.arch);
// The toolchain file is not in the npm package: an installed package builds with the system compiler.
const toolchainFile = join(root, 'cmake', 'zig.toolchain.cmake');
const zig = process.platform === 'linux' && args.toolchain !== 'system' && existsSync(toolchainFile) ? findZig({ orPath: args.toolchain === 'zig' }) : null;

let toolchain = 'system';
if (args.toolchain === 'zig' || (args.toolchain === undefined && zig && target)) {
  if (!zig) throw new Error('--toolchain zig: no zig found (set ZIG, or run `npm run setup:zig`)');
  if (!target) throw new Error(`no prebuild target for ${process.platform}-${args.arch} (scripts/toolchain.mjs)`);
  const file = createHash('sha256').update(readFileSync(toolchainFile)).digest('hex').slice(0, 12);
  toolchain = `zig ${zig.version} ${target.zigTarget} (cmake/zig.toolchain.cmake ${file})`;
} else if (cross) {
  throw new Error(`building for ${args.arch} on ${process.arch} needs the zig toolchain (npm run setup:zig)`);
}

// CMake cannot switch a configured tree to another compiler, and reads a toolchain file only
// when it first configures a tree: start that tree afresh when either changed.
const stamp = join(root, out, 'toolchain.txt');
if (existsSync(stamp) ? readFileSync(stamp, 'utf8') !== toolchain : existsSync(join(root, out, 'CMakeCache.txt'))) {
  rmSync(join(root, out, 'CMakeCache.txt'), { force: true });
  rmSync(join(root, out, 'CMakeFiles'), { recursive: true, force: true });
}

const cmakeJs = [require.resolve('cmake-js/bin/cmake-js'), 'compile', '--out', out];
const env = { ...process.env };
if (toolchain !== 'system') {
  cmakeJs.push('--arch', args.arch, `--CDCMAKE_TOOLCHAIN_FILE=${toolchainFile}`);
  Object.assign(env, { ZIG: zig.path, ENSEMBLE_ZIG_TARGET: target.zigTarget });
}
log(`building ${out}/Release/production_ensemble.node with ${toolchain === 'system' ? 'the system compiler' : toolchain}`);
execFileSync(process.execPath, cmakeJs, { cwd: root, env, stdio: 'inherit' });
writeFileSync(stamp, toolchain);
