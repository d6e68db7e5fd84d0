#!/usr/bin/env node
// Layering rules CI can check: the C++ core never includes Node headers, every source is in the
// one list CMake builds from, and the download pins match tools/requirements.txt.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const problems = [];
function walk(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
}
for (const file of [...walk('native/core'), ...walk('native/include')]) {
  if (/#include\s*[<"](napi|node_api)\.h/.test(readFileSync(file, 'utf8'))) problems.push(`${file} includes a Node header`);
}
const sources = JSON.parse(readFileSync('native/sources.json', 'utf8'));
for (const f of [...sources.core, ...sources.addon]) {
  try {
    readFileSync(f);
  } catch {
    problems.push(`native/sources.json lists ${f}, which does not exist`);
  }
}
const listed = new Set([...sources.core, ...sources.addon]);
for (const f of [...walk('native/core'), ...walk('native/addon')].filter((f) => f.endsWith('.cc'))) {
  if (!listed.has(f)) problems.push(`${f} is not listed in native/sources.json`);
}
const pins = JSON.parse(readFileSync('scripts/native-libs.json', 'utf8'));
const req = readFileSync('tools/requirements.txt', 'utf8');
if (!req.includes(`lightgbm==${pins.lightgbm}`)) problems.push('tools/requirements.txt and scripts/native-libs.json pin different LightGBM versions');
if (!req.includes(`xgboost-cpu==${pins.xgboost}`)) problems.push('tools/requirements.txt and scripts/native-libs.json pin different XGBoost versions');
if (problems.length) {
  console.error(problems.join('\n'));
  process.exit(1);
}
console.log('layers ok');
