#!/usr/bin/env node
/**
 * The `production-ensemble` command's entry: answers `--version` at once, checks that the
 * packages the command needs are installed (a library-only install leaves them out,
 * docs/install.md), runs the command (program.ts), and turns an error into its exit code.
 * @internal
 */
import { exitCodeOf } from '../error-codes.js';
import { MissingDependencyError } from '../errors.js';
import { TABLE_PACKAGES, installSpecs, ownManifest, packageProblems } from '../optional-packages.js';

// The command's packages: commander for every command; score also reads and writes tables
// (DuckDB; Arrow and parquet-wasm for Parquet) and draws a progress bar. They are no dependency of
// the package — not even an optional peer, which makes npm refuse to install it into a project
// that uses another major version of commander — so their versions are the ones this package is
// built and tested with: its devDependencies.
const ALWAYS = ['commander'];
const FOR_COMMAND: Record<string, string[]> = {
  score: [...TABLE_PACKAGES, 'cli-progress'],
  compare: [...TABLE_PACKAGES],
  explain: [...TABLE_PACKAGES],
  drift: [...TABLE_PACKAGES],
};

/** Checks that each package `command` needs is installed in a version it works with. */
function checkPackages(command: string | undefined): void {
  const needed = [...ALWAYS, ...(FOR_COMMAND[command ?? ''] ?? [])];
  const problems = packageProblems(needed);
  if (problems.length === 0) return;
  const what = command && FOR_COMMAND[command] ? `the ${command} command` : 'the production-ensemble command';
  throw new MissingDependencyError(
    `${what} needs ${problems.join(', ')}: installing production-ensemble as a library leaves out the packages of its ` +
      `command. Install them beside it: npm install ${installSpecs(needed)} (with -g beside a global install; ` +
      'docs/install.md in the package says how to run the command where a project needs other versions)',
  );
}

async function main(argv: string[]): Promise<void> {
  const args = argv.slice(2);
  if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
    process.stdout.write(`${ownManifest().version}\n`);
    return;
  }
  checkPackages(args.find((a) => !a.startsWith('-')));
  const { runProgram } = await import('./program.js');
  await runProgram(argv, ownManifest().version);
}

main(process.argv).catch((e: unknown) => {
  const err = e as { name?: string; code?: unknown; message?: string } | null;
  const code = typeof err?.code === 'string' ? ` [${err.code}]` : '';
  process.stderr.write(`production-ensemble: ${err?.name ?? 'Error'}${code}: ${err?.message ?? String(e)}\n`);
  process.exitCode = exitCodeOf(err?.code);
});
