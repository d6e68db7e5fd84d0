// The native libraries: versions reported, and a missing library is a clear error that names the
// library, every place searched and how to get it (checked in child processes, which read the
// environment variables at load).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { loadInChild, productionDir } from './helpers.js';

const lgbFile = JSON.stringify(join(productionDir, 'lightgbm.txt'));
const xgbFile = JSON.stringify(join(productionDir, 'xgboost.json'));

it('LIGHTGBM_LIB pointing to a file that does not exist', () => {
  const r = loadInChild(`pe.LightGBMModel.load(${lgbFile})`, { LIGHTGBM_LIB: '/nonexistent/lib_lightgbm.so' });
  expect(r.ok).toBe(false);
  expect(r.name).toBe('LibraryLoadError');
  expect(r.code).toBe('ERR_LIBRARY_LOAD');
  expect(r.message).toContain('could not load the LightGBM library');
  expect(r.message).toContain('LIGHTGBM_LIB=/nonexistent/lib_lightgbm.so: file not found');
  expect(r.message).toContain('npm run libs');
});

it('XGBOOST_LIB pointing to a file that does not exist', () => {
  const r = loadInChild(`pe.XGBoostModel.load(${xgbFile})`, { XGBOOST_LIB: '/nonexistent/libxgboost.so' });
  expect(r.ok).toBe(false);
  expect(r.name).toBe('LibraryLoadError');
  expect(r.message).toContain('XGBOOST_LIB=/nonexistent/libxgboost.so: file not found');
});

it('the ensemble fails to load the same way, and the health check reports it', () => {
  const r = loadInChild(`pe.ProductionEnsemble.load(${JSON.stringify(productionDir)})`, { XGBOOST_LIB: '/nonexistent/libxgboost.so' });
  expect(r.name).toBe('LibraryLoadError');
  const h = loadInChild(
    `pe.ProductionEnsemble.healthCheck(${JSON.stringify(productionDir)}).then((h) => { if (h.status !== 'unhealthy' || h.errorCode !== 'ERR_LIBRARY_LOAD' || !h.error.includes('XGBOOST_LIB')) throw new Error(JSON.stringify(h)); })`,
    { XGBOOST_LIB: '/nonexistent/libxgboost.so' },
  );
  expect(h).toEqual({ ok: true });
});

it('a file that is not a shared library', () => {
  const r = loadInChild(`pe.LightGBMModel.load(${lgbFile})`, { LIGHTGBM_LIB: join(productionDir, 'lightgbm.txt') });
  expect(r.name).toBe('LibraryLoadError');
  expect(r.message).toMatch(/LIGHTGBM_LIB=.*lightgbm\.txt: .*(invalid ELF|too short|file)/);
});

it('an explicit path option overrides the environment', () => {
  const r = loadInChild(`pe.LightGBMModel.load(${lgbFile}, { lightgbmLib: '/also/missing.so' })`);
  expect(r.message).toContain('the path given in the options (/also/missing.so): file not found');
});

it('a missing addon says how a dependant builds it, pointing to the docs shipped in the package', () => {
  const r = loadInChild(`pe.LightGBMModel.load(${lgbFile})`, { PRODUCTION_ENSEMBLE_ADDON: '/nonexistent/production_ensemble.node' });
  expect(r).toMatchObject({ ok: false, name: 'LibraryLoadError', code: 'ERR_LIBRARY_LOAD' });
  expect(r.message).toContain('could not load the production-ensemble native addon');
  expect(r.message).toContain('docs/install.md in the package');
  expect(r.message).toContain('npm rebuild production-ensemble');
});

// libgomp prints what it read at load with OMP_DISPLAY_ENV=verbose. Unset, its workers spin
// 300,000 times after every parallel region (GOMP_SPINCOUNT), stealing the cores from the engine's
// threads; the loader asks for PASSIVE (no spin) unless the user chose a policy.
it.each([
  [undefined, 'PASSIVE', '0'],
  ['ACTIVE', 'ACTIVE', '30000000000'],
])('the libraries\' OpenMP wait policy (OMP_WAIT_POLICY=%s) is %s', (given, expected, spin) => {
  const env: Record<string, string | undefined> = { ...process.env, OMP_DISPLAY_ENV: 'verbose', OMP_WAIT_POLICY: given };
  if (given === undefined) delete env.OMP_WAIT_POLICY;
  delete env.GOMP_SPINCOUNT;
  const code = `import * as pe from ${JSON.stringify(join(import.meta.dirname, '..', 'dist', 'index.js'))};
    (await pe.LightGBMModel.load(${lgbFile})).close();
    (await pe.XGBoostModel.load(${xgbFile})).close();
    console.log('policy', process.env.OMP_WAIT_POLICY);`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { env, encoding: 'utf8', timeout: 60_000 });
  expect(r.status, r.stderr).toBe(0);
  expect(r.stdout).toContain(`policy ${expected}`);
  // Both libraries' runtimes: the system's libgomp (LightGBM) and XGBoost's bundled copy.
  const policies = [...r.stderr.matchAll(/OMP_WAIT_POLICY = '(\w+)'/g)].map((m) => m[1]);
  const spins = [...r.stderr.matchAll(/GOMP_SPINCOUNT = '(\d+)'/g)].map((m) => m[1]);
  expect(policies).toEqual([expected, expected]);
  expect(spins).toEqual([spin, spin]);
});
