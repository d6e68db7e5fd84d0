#!/usr/bin/env node
/**
 * The `production-ensemble` command's entry: answers `--version` at once, runs the command
 * (program.ts), and turns an error into its exit code (docs/cli.md#exit-codes).
 * @internal
 */
import { readFileSync } from 'node:fs';
import { exitCodeOf } from '../error-codes.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

async function main(argv: string[]): Promise<void> {
  const args = argv.slice(2);
  if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
    process.stdout.write(`${pkg.version}\n`);
    return;
  }
  const { runProgram } = await import('./program.js');
  await runProgram(argv, pkg.version);
}

main(process.argv).catch((e: unknown) => {
  const err = e as { name?: string; code?: unknown; message?: string } | null;
  const code = typeof err?.code === 'string' ? ` [${err.code}]` : '';
  process.stderr.write(`production-ensemble: ${err?.name ?? 'Error'}${code}: ${err?.message ?? String(e)}\n`);
  process.exitCode = exitCodeOf(err?.code);
});
