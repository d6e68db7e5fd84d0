#!/usr/bin/env node
/**
 * The `production-ensemble` command's entry: answers `--version` at once, checks that the
 * packages the command needs are installed (a library-only install leaves them out,
 * docs/install.md), runs the command (program.ts), and turns an error into its exit code.
 * @internal
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { exitCodeOf } from '../error-codes.js';
import { MissingDependencyError } from '../errors.js';

interface PackageJson {
  name?: string;
  version: string;
  devDependencies: Record<string, string>;
}

// The command's packages: commander for every command; score also reads and writes tables with
// DuckDB and draws a progress bar. They are no dependency of the package — not even an optional
// peer, which makes npm refuse to install it into a project that uses another major version of
// commander — so their versions are the ones this package is built and tested with: its
// devDependencies.
const ALWAYS = ['commander'];
const FOR_COMMAND: Record<string, string[]> = {
  score: ['@duckdb/node-api', 'cli-progress'],
  explain: ['@duckdb/node-api'],
  drift: ['@duckdb/node-api'],
};

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as PackageJson;
const require = createRequire(import.meta.url);

/** The version of `name` that an import from this file gets, or undefined when none is installed. */
function installedVersion(name: string): string | undefined {
  let file: string;
  try {
    file = require.resolve(name);
  } catch {
    return undefined;
  }
  for (let dir = dirname(file); dir !== dirname(dir); dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (!existsSync(manifest)) continue;
    const found = JSON.parse(readFileSync(manifest, 'utf8')) as PackageJson;
    if (found.name === name) return found.version;
  }
  return undefined;
}

const major = (version: string) => Number(/\d+/.exec(version)?.[0]);

/** Checks that each package `command` needs is installed in a major version it works with. */
function checkPackages(command: string | undefined): void {
  const needed = [...ALWAYS, ...(FOR_COMMAND[command ?? ''] ?? [])];
  const problems: string[] = [];
  for (const name of needed) {
    const range = pkg.devDependencies[name] as string;
    const version = installedVersion(name);
    if (version === undefined) problems.push(`${name} (not installed)`);
    else if (major(version) !== major(range)) problems.push(`${name} ${range} (${version} is installed)`);
  }
  if (problems.length === 0) return;
  const specs = needed.map((name) => `${name}@${pkg.devDependencies[name]}`);
  const what = command && FOR_COMMAND[command] ? `the ${command} command` : 'the production-ensemble command';
  throw new MissingDependencyError(
    `${what} needs ${problems.join(', ')}: installing production-ensemble as a library leaves out the packages of its ` +
      `command. Install them beside it: npm install ${specs.join(' ')} (with -g beside a global install; ` +
      'docs/install.md in the package says how to run the command where a project needs other versions)',
  );
}

async function main(argv: string[]): Promise<void> {
  const args = argv.slice(2);
  if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
    process.stdout.write(`${pkg.version}\n`);
    return;
  }
  checkPackages(args.find((a) => !a.startsWith('-')));
  const { runProgram } = await import('./program.js');
  await runProgram(argv, pkg.version);
}

main(process.argv).catch((e: unknown) => {
  const err = e as { name?: string; code?: unknown; message?: string } | null;
  const code = typeof err?.code === 'string' ? ` [${err.code}]` : '';
  process.stderr.write(`production-ensemble: ${err?.name ?? 'Error'}${code}: ${err?.message ?? String(e)}\n`);
  process.exitCode = exitCodeOf(err?.code);
});
