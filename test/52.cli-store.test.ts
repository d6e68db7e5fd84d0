// The commands of serving as a deploy script runs them: publish, versions, promote, rollback,
// compare, and their exit codes (docs/cli.md).
import { spawnSync } from 'node:child_process';
import { readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
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

it('compare: a history replayed through two versions, accuracy and log loss against the next-bar direction', async () => {
  const a = join(work, 'A');
  const b = versionDir(join(work, 'B2'), B_WEIGHTS);
  const features = join(root, 'data', 'sample_features.csv');
  const r = run(['compare', features, '--from-features', '--models', `a=${a}`, '--models', `b=${b}`, '--json']);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  const s = JSON.parse(r.stdout) as { rows: number; outcomes: number; stats: { members: { name: string; outcomes: { count: number; accuracy: number; logLoss: number }; agreement?: { rows: number } }[] } };
  // The same numbers from the API: the file's rows scored, labels from the next row's close.
  const lines = readFileSync(features, 'utf8').trim().split('\n');
  const header = (lines[0] as string).split(',');
  const { ProductionEnsemble } = await import('../dist/index.js');
  using model = await ProductionEnsemble.load(a);
  const x = new Float64Array((lines.length - 1) * 12);
  lines.slice(1).forEach((line, i) => {
    const cells = line.split(',');
    model.featureNames.forEach((n, c) => (x[i * 12 + c] = Number(cells[header.indexOf(n)])));
  });
  const p = model.predictProba(x);
  let correct = 0;
  let loss = 0;
  for (let i = 0; i + 1 < p.length; i++) {
    const label = (x[(i + 1) * 12] as number) > (x[i * 12] as number) ? 1 : 0;
    if (((p[i] as number) >= 0.5 ? 1 : 0) === label) correct++;
    loss -= label ? Math.log(p[i] as number) : Math.log(1 - (p[i] as number));
  }
  expect(s.rows).toBe(p.length);
  expect(s.outcomes).toBe(p.length - 1);
  const [ma, mb] = s.stats.members;
  expect(ma?.name).toBe('a');
  expect(ma?.outcomes.count).toBe(p.length - 1);
  expect(ma?.outcomes.accuracy).toBe(correct / (p.length - 1));
  expect(ma?.outcomes.logLoss).toBeCloseTo(loss / (p.length - 1), 10);
  expect(mb?.agreement?.rows).toBe(p.length);
  const text = run(['compare', features, '--from-features', '--models', `a=${a}`, '--models', `b=${b}`]);
  expect(text.stdout).toMatch(new RegExp(`^replayed ${p.length} rows of .* through 2 versions in [\\d.]+ s; ${p.length - 1} outcomes`));
  expect(text.stdout.split('\n')[2]).toMatch(/^a +champion +0\.\d{4} +- +- +0\.\d{4} +0\.\d{4}$/);
  expect(run(['compare', features, '--models', a]).status).toBe(2);
});
