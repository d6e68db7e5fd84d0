/**
 * The packages a library install leaves out (docs/install.md): the command's (commander, a
 * progress bar) and those that read and write tables (DuckDB; Arrow and parquet-wasm for Parquet).
 * The command and `scoreTable` check them before importing any, so that a missing one is a
 * `MissingDependencyError` with the `npm install` line, not a module-not-found.
 * @internal
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** What reading and writing tables needs (`scoreTable`, `scoreBatches`, the `score` command). */
export const TABLE_PACKAGES = ['@duckdb/node-api', '@duckdb/node-bindings', 'apache-arrow', 'parquet-wasm'] as const;

interface Manifest {
  name?: string;
  version: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

const require = createRequire(import.meta.url);
let own: Manifest | undefined;

/** This package's package.json. */
export function ownManifest(): Manifest {
  own ??= JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as Manifest;
  return own;
}

/** The manifest of `name` that an import from this package gets, or undefined when none is installed. */
function installed(name: string): Manifest | undefined {
  let file: string;
  try {
    file = require.resolve(name);
  } catch {
    return undefined;
  }
  for (let dir = dirname(file); dir !== dirname(dir); dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (!existsSync(manifest)) continue;
    const found = JSON.parse(readFileSync(manifest, 'utf8')) as Manifest;
    if (found.name === name) return found;
  }
  return undefined;
}

const parts = (version: string) => (/(\d+)\.(\d+)/.exec(version) ?? []).slice(1).map(Number);

/** Caret compatibility: the same major version, and the same minor one below 1.0 (0.8 and 0.9 may differ). */
function compatible(version: string, range: string): boolean {
  const [a = NaN, b = NaN] = parts(version);
  const [x = NaN, y = NaN] = parts(range);
  return a === x && (a !== 0 || b === y);
}

/** The range this package is built and tested with: its devDependencies. */
export function wantedRange(name: string): string {
  return ownManifest().devDependencies?.[name] ?? '*';
}

/**
 * What is wrong with each of `names` as installed: `name (not installed)` or `name range (version
 * is installed)`; empty when all are usable. @duckdb/node-bindings must be the very version
 * @duckdb/node-api uses: the reader hands node-api's chunks to it.
 */
export function packageProblems(names: readonly string[]): string[] {
  const problems: string[] = [];
  for (const name of names) {
    const range = wantedRange(name);
    const found = installed(name);
    if (found === undefined) {
      problems.push(`${name} (not installed)`);
      continue;
    }
    if (!compatible(found.version, range)) {
      problems.push(`${name} ${range} (${found.version} is installed)`);
      continue;
    }
    if (name === '@duckdb/node-bindings') {
      const api = installed('@duckdb/node-api');
      const pinned = api?.dependencies?.[name];
      if (api && pinned && pinned !== found.version) {
        problems.push(`${name} ${pinned}, the version @duckdb/node-api ${api.version} uses (${found.version} is installed)`);
      }
    }
  }
  return problems;
}

/** `npm install` specs of `names`, in the versions this package is built and tested with. */
export function installSpecs(names: readonly string[]): string {
  return names.map((name) => `${name}@${wantedRange(name)}`).join(' ');
}
