// What `npm pack` puts in the tarball for dependants: the licence, the third-party notices (one
// for every library the package redistributes), the changelog, the README and every doc — the
// docs that error messages point to included — and dependencies without the build tools or the
// command's packages.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { root } from './helpers.js';

let files: string[] = [];
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  license: string;
  dependencies: Record<string, string>;
  peerDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  devDependencies: Record<string, string>;
};

beforeAll(() => {
  // --ignore-scripts: the list, not a build (dist/ is built before the tests).
  const r = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  expect(r.status, r.stderr).toBe(0);
  files = (JSON.parse(r.stdout) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
}, 120_000);

it('ships LICENSE, THIRD_PARTY_NOTICES, CHANGELOG.md, README.md and every doc', () => {
  for (const f of ['LICENSE', 'THIRD_PARTY_NOTICES', 'CHANGELOG.md', 'README.md', 'package.json']) expect(files).toContain(f);
  const docs = readdirSync(join(root, 'docs')).map((d) => `docs/${d}`);
  expect(docs).toContain('docs/install.md');
  for (const d of docs) expect(files).toContain(d);
  expect(files.filter((f) => f.startsWith('test/') || f.startsWith('bench/') || f.startsWith('.ci/'))).toEqual([]);
});

it('every docs/… file named by the shipped code and docs is in the tarball', () => {
  const named = new Set<string>();
  for (const f of files.filter((f) => /\.(js|mjs|py|md)$/.test(f))) {
    for (const m of readFileSync(join(root, f), 'utf8').matchAll(/docs\/([\w.-]+\.md)/g)) named.add(`docs/${m[1]}`);
  }
  expect(named.size).toBeGreaterThan(5);
  for (const d of named) expect(files, `${d} is named but not shipped`).toContain(d);
});

it('LICENSE is the MIT licence package.json declares', () => {
  expect(pkg.license).toBe('MIT');
  const text = readFileSync(join(root, 'LICENSE'), 'utf8');
  expect(text).toMatch(/^MIT License\n\nCopyright \(c\) \d{4} the production-ensemble authors\n/);
  expect(text).toContain('THE SOFTWARE IS PROVIDED "AS IS"');
});

it('THIRD_PARTY_NOTICES names every library shipped beside the addon, with its licence text', () => {
  const notices = readFileSync(join(root, 'THIRD_PARTY_NOTICES'), 'utf8');
  // The libraries in the tarball's prebuilds, and those `npm run libs` fetched (what a prebuild bundles).
  const platform = join(root, 'native', 'lib', `${process.platform}-${process.arch}`);
  const libs = new Set([
    ...files.filter((f) => f.startsWith('prebuilds/') && !f.endsWith('.node') && !f.endsWith('.version')).map((f) => basename(f)),
    ...(existsSync(platform) ? readdirSync(platform).filter((f) => !f.endsWith('.version')) : []),
  ]);
  expect(libs.size).toBeGreaterThanOrEqual(3);
  for (const lib of libs) expect(notices, `${lib} has no notice`).toContain(lib);
  const pins = JSON.parse(readFileSync(join(root, 'scripts', 'native-libs.json'), 'utf8')) as { lightgbm: string; xgboost: string };
  expect(notices).toContain(`LightGBM ${pins.lightgbm}`);
  expect(notices).toContain(`XGBoost ${pins.xgboost}`);
  for (const text of [
    'Copyright (c) Microsoft Corporation', // LightGBM's MIT licence
    'Apache License\n                           Version 2.0, January 2004', // XGBoost, dmlc-core
    'GCC RUNTIME LIBRARY EXCEPTION\n\nVersion 3.1, 31 March 2009', // libgomp's exception
    'GNU GENERAL PUBLIC LICENSE\n                       Version 3, 29 June 2007',
    'Mozilla Public License Version 2.0', // Eigen
    'Boost Software License - Version 1.0', // fast_double_parser
    'Victor Zverovich', // fmt
    'Node.js API collaborators', // node-addon-api
  ]) {
    expect(notices).toContain(text);
  }
});

it('a library install pulls in neither build tools nor the command packages', () => {
  expect(Object.keys(pkg.dependencies)).toEqual(['node-gyp-build']);
  // Not even as optional peers: npm refuses to install a package into a project that has another
  // major version of one of its peers (test/81.package-install.test.ts installs it beside commander 12).
  expect(pkg.peerDependencies).toBeUndefined();
  expect(pkg.optionalDependencies).toBeUndefined();
  // The repository's own build and tests get them; the command and the install script ask for
  // these versions.
  for (const p of ['@duckdb/node-api', '@duckdb/node-bindings', 'apache-arrow', 'parquet-wasm', 'cli-progress', 'commander', 'cmake-js', 'node-addon-api', 'node-api-headers']) {
    expect(pkg.devDependencies[p], p).toMatch(/^\^\d/);
  }
});
