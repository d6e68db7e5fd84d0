#!/usr/bin/env node
// Builds the prebuilt addon for this platform with prebuildify (node-gyp, from binding.gyp) and
// bundles lib_lightgbm / libxgboost (and XGBoost's OpenMP runtime) beside it, so an installed
// tarball needs neither a compiler nor pip: the loader looks beside the .node file first.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const platformKey = `${process.platform}-${process.arch}`;
const libs = join(root, 'native', 'lib', platformKey);
if (!existsSync(join(libs, 'lib_lightgbm.so')) && !existsSync(join(libs, 'lib_lightgbm.dylib'))) {
  execFileSync(process.execPath, [join(root, 'scripts', 'fetch-native-libs.mjs')], { stdio: 'inherit' });
}
execFileSync(process.execPath, [require.resolve('prebuildify/bin.js'), '--napi', '--strip'], { cwd: root, stdio: 'inherit' });
const out = join(root, 'prebuilds', platformKey);
for (const f of readdirSync(libs)) copyFileSync(join(libs, f), join(out, f));
console.log(`prebuilds/${platformKey}: ${readdirSync(out).join(', ')}`);
