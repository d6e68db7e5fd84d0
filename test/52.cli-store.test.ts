// The store's commands as a deploy script runs them: publish, versions, promote, rollback, and
// their exit codes (docs/cli.md).
import { spawnSync } from 'node:child_process';
import { readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { root } from './helpers.js';
import { B_WEIGHTS, tempDir, versionDir } from './serving-helpers.js';

const cli = join(root, 'dist', 'cli', 'main.js');
const work = tempDir('pe-cli-store-');
afterAll(() => rmSync(work, { recursive: true, force: true }));

function run(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: 'utf8', timeout: 120_000, env: { ...process.env, ...env } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

it('publish, versions, promote, rollback', () => {
  const store = join(work, 'store');
  const a = versionDir(join(work, 'A'));
  const b = versionDir(join(work, 'B'), B_WEIGHTS);
  let r = run(['publish', a, 'v1', '--store', store, '--promote']);
  expect(r.stderr).toBe('');
  expect(r.stdout).toBe(`published ${a} as ${store}/v1 (current)\n`);
  // The store from the environment.
  r = run(['publish', b, 'v2'], { PRODUCTION_ENSEMBLE_STORE: store });
  expect(r.status).toBe(0);
  r = run(['versions', '--store', store]);
  expect(r.stdout.split('\n').slice(1, 3)).toEqual([
    '* v1  2024-11-05T01:00:00Z  current   complete',
    '  v2  2024-11-05T01:00:00Z            complete',
  ]);
  r = run(['promote', 'v2', '--store', store]);
  expect(r.stdout).toBe(`${store}: current v2 (previous v1)\n`);
  expect(readlinkSync(join(store, 'current'))).toBe('v2');
  writeFileSync(join(store, 'v1', 'xgboost.json'), ' ', { flag: 'a' });
  r = run(['versions', '--store', store, '--json']);
  const listed = JSON.parse(r.stdout) as { current: string; previous: string; versions: { name: string; complete: boolean; problems: string[] }[] };
  expect([listed.current, listed.previous]).toEqual(['v2', 'v1']);
  expect(listed.versions[0]?.complete).toBe(false);
  expect(listed.versions[0]?.problems[0]).toMatch(/xgboost\.json: sha256 is/);
  // A corrupt previous version cannot be rolled back to: the store is left as it was.
  r = run(['rollback', '--store', store]);
  expect(r.status).toBe(19);
  expect(r.stderr).toMatch(/^production-ensemble: ModelStoreError \[ERR_MODEL_STORE\]: .*cannot promote 'v1': .*sha256 is/);
  expect(readlinkSync(join(store, 'current'))).toBe('v2');
});

it('errors: no store, an unknown version, a bad name', () => {
  expect(run(['versions'], { PRODUCTION_ENSEMBLE_STORE: '' })).toMatchObject({
    status: 2,
    stderr: 'production-ensemble: InvalidArgumentError [ERR_INVALID_ARGUMENT]: no model store given: pass --store <dir> or set PRODUCTION_ENSEMBLE_STORE\n',
  });
  const store = join(work, 'empty');
  const r = run(['promote', 'v3', '--store', store]);
  expect(r.status).toBe(19);
  expect(r.stderr).toContain('the model store does not exist');
  expect(run(['publish', join(work, 'A'), '../x', '--store', store]).stderr).toContain("'../x' is not a version name");
});
