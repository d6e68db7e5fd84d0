#!/usr/bin/env node
// The package's install step: fetch the pinned LightGBM / XGBoost libraries (unless present or
// PRODUCTION_ENSEMBLE_SKIP_LIBS=1), then use a prebuilt addon when one matches this platform,
// else build it from source with cmake-js — a build tool a dependant installs only then
// (docs/install.md; the versions are this package's devDependencies).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const log = (msg) => process.stderr.write(`production-ensemble: ${msg}\n`);

function run(cmd, args) {
  execFileSync(cmd, args, { cwd: root, stdio: 'inherit' });
}

// 1. Native libraries. A prebuilt package bundles them beside the .node file already.
const bundled = existsSync(join(root, 'prebuilds', `${process.platform}-${process.arch}`, 'lib_lightgbm.so'));
if (process.env.PRODUCTION_ENSEMBLE_SKIP_LIBS === '1' || bundled) {
  log('skipping the LightGBM/XGBoost download');
} else {
  try {
    run(process.execPath, [join(root, 'scripts', 'fetch-native-libs.mjs')]);
  } catch (e) {
    // Not fatal: LIGHTGBM_LIB / XGBOOST_LIB or a system install can still provide them, and
    // loading a model reports exactly what is missing and how to get it.
    log(`could not fetch the native libraries (${e.message}); see docs/troubleshooting.md in the package`);
  }
}

// 2. The addon: a prebuild or an existing build, else compile.
let found = false;
try {
  require('node-gyp-build').path(root);
  found = true;
} catch {
  found = false;
}
if (found && process.env.PRODUCTION_ENSEMBLE_FORCE_BUILD !== '1') {
  log('using the prebuilt/built addon');
} else {
  const tools = ['cmake-js', 'node-addon-api', 'node-api-headers'];
  const wanted = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).devDependencies;
  const major = (v) => Number(/\d+/.exec(v)?.[0]);
  const problems = tools.flatMap((t) => {
    let version;
    try {
      version = JSON.parse(readFileSync(require.resolve(`${t}/package.json`), 'utf8')).version;
    } catch {
      return [`${t} (not installed)`];
    }
    return major(version) === major(wanted[t]) ? [] : [`${t} ${wanted[t]} (${version} is installed)`];
  });
  if (problems.length > 0) {
    log(
      `no prebuilt addon for ${process.platform}-${process.arch}, so it must be built from source, which needs ` +
        `${problems.join(', ')}. Install them (plus cmake >= 3.19 and a C++17 compiler), then rebuild:\n` +
        `  npm install ${tools.map((t) => `${t}@${wanted[t]}`).join(' ')} && npm rebuild production-ensemble\n` +
        'See docs/install.md in the package.',
    );
    process.exit(1);
  }
  // The repository's own build step (CMakeLists.txt through cmake-js), so a clone that ran
  // `npm run setup:zig` first builds the prebuilds' binary here too.
  log('building the native addon with cmake-js');
  run(process.execPath, [join(root, 'scripts', 'build-native.mjs')]);
}
