#!/usr/bin/env node
// Layering rules CI can check: the C++ core never includes Node headers, every source is in the
// one list CMake builds from, the download pins match tools/requirements.txt, and src/ keeps its
// layers (docs/architecture.md): imports point down, one file loads the addon, one scores.
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
// src/: a file imports only files listed before it; src/cli/ may use the whole library, which never
// imports the CLI. A new file gets its place here.
const tsLayers = ['error-codes', 'model-types', 'errors', 'optional-packages', 'binding', 'features', 'validate', 'load-options',
  'explain', 'explain-svg', 'scorer', 'drift-stats', 'drift', 'models', 'boosters', 'random-forest', 'ensemble-types', 'model-store',
  'ensemble-load', 'ensemble-info', 'ensemble-reload', 'watch', 'ensemble', 'histogram', 'canary', 'set-stats', 'shadow-queue',
  'set-shadow', 'ensemble-set', 'metrics',
  // the batch pipeline (docs/architecture.md): pipeline/pipeline is the API, pipeline/run the run it imports once checked
  'pipeline/batch', 'pipeline/channel', 'pipeline/source', 'pipeline/scorer', 'pipeline/options', 'pipeline/summary',
  'pipeline/csv-scan', 'pipeline/output-file', 'pipeline/query', 'pipeline/symbols', 'pipeline/chunks', 'pipeline/reader',
  'pipeline/feature-stage', 'pipeline/csv-writer', 'pipeline/parquet-writer', 'pipeline/dataset', 'pipeline/outputs',
  'pipeline/stages', 'pipeline/run', 'pipeline/pipeline', 'index'];
for (const file of walk('src').filter((f) => f.endsWith('.ts'))) {
  const text = readFileSync(file, 'utf8');
  const inCli = file.startsWith(join('src', 'cli'));
  const own = inCli ? tsLayers.length : tsLayers.indexOf(file.slice('src/'.length, -'.ts'.length));
  if (own < 0) {
    problems.push(`${file} has no layer: add it to tsLayers in scripts/check-layers.mjs`);
    continue;
  }
  for (const [, spec] of text.matchAll(/(?:from|import\()\s*'(\.{1,2}\/[^']+)\.js'/g)) {
    const target = join(file, '..', spec);
    if (target.startsWith(join('src', 'cli'))) {
      if (!inCli) problems.push(`${file} imports the CLI (${spec})`);
      continue;
    }
    const layer = tsLayers.indexOf(target.slice('src/'.length));
    if (layer >= own) problems.push(`${file} imports ${spec}, which is not below it in tsLayers (scripts/check-layers.mjs)`);
  }
  // The scoring and explaining path every class shares (closed check, validation,
  // inline-or-async) lives once.
  if (!file.endsWith(join('src', 'scorer.ts')) && /\bnative\.(predict|predictAsync|predictRow|nodesVisited|explain|explainAsync)\(/.test(text)) {
    problems.push(`${file} calls a native scoring method: go through src/scorer.ts`);
  }
  if (!file.endsWith(join('src', 'binding.ts')) && /node-gyp-build|\.node['"]/.test(text)) problems.push(`${file} loads the addon: only src/binding.ts does`);
}
// The packages a library install leaves out (src/optional-packages.ts) load only after their
// check: no file that `import 'production-ensemble'` loads (index.ts and what it imports, not by
// `import type` or `import()`) imports one.
const OPTIONAL = /^(@duckdb\/|apache-arrow$|parquet-wasm$|commander$|cli-progress$)/;
const loaded = new Set();
const visit = (file) => {
  if (loaded.has(file)) return;
  loaded.add(file);
  const text = readFileSync(file, 'utf8');
  for (const [, kind, spec] of text.matchAll(/^(import|export)(?!\s+type\b)[^'";]*?from\s*'([^']+)'/gm)) {
    void kind;
    if (spec.startsWith('.')) visit(join(file, '..', spec.replace(/\.js$/, '.ts')));
    else if (OPTIONAL.test(spec)) problems.push(`${file} imports ${spec}, which the library loads without checking it is installed (src/optional-packages.ts)`);
  }
  for (const [, spec] of text.matchAll(/^import\s+'([^']+)'/gm)) if (OPTIONAL.test(spec)) problems.push(`${file} imports ${spec} unchecked`);
};
visit(join('src', 'index.ts'));
if (problems.length) {
  console.error(problems.join('\n'));
  process.exit(1);
}
console.log('layers ok');
