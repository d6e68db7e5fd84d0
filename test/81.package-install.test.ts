// The packed tarball installed into an empty project, as a dependant gets it: what lands in
// node_modules, the command without and with its optional packages, scoring through the
// installed package, a strict TypeScript consumer under node16 / nodenext / bundler resolution,
// and @arethetypeswrong/cli on the tarball.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProductionEnsemble } from '../dist/index.js';
import { ERROR_CODES } from '../dist/error-codes.js';
import { TABLE_PACKAGES } from '../dist/optional-packages.js';
import { root } from './helpers.js';

const require = createRequire(import.meta.url);
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string; devDependencies: Record<string, string> };
const work = mkdtempSync(join(tmpdir(), 'pe-pkg-'));
const consumer = join(work, 'consumer');
const installed = join(consumer, 'node_modules', 'production-ensemble');
let tarball = '';
afterAll(() => rmSync(work, { recursive: true, force: true }));

// In CI every tool is installed (.ci/run): a missing one is a failure there, a printed skip here.
function missing(what: string, skip: () => void): void {
  if (process.env.PRODUCTION_ENSEMBLE_CI === '1') throw new Error(`${what} (CI installs it: npm install)`);
  console.log(`skipped: ${what}`);
  skip();
}

function sh(cmd: string, args: string[], cwd: string, env: Record<string, string> = {}) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: 300_000, env: { ...process.env, ...env } });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

beforeAll(() => {
  const packed = sh('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], root);
  expect(packed.status, packed.stderr).toBe(0);
  tarball = join(work, (JSON.parse(packed.stdout) as { filename: string }[])[0]!.filename);
  mkdirSync(consumer);
  writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, type: 'module' }));
  // Scripts off: npm 11 runs a dependency's install script only once approved (the script is
  // tested below); a prebuilt package works without it.
  const r = sh('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--prefer-offline', tarball], consumer);
  expect(r.status, r.stderr).toBe(0);
}, 600_000);

const hasPrebuild = () => existsSync(join(installed, 'prebuilds', `${process.platform}-${process.arch}`));
// Without a prebuild in the tarball (a development tree), the installed package is pointed at
// this tree's addon and libraries; with one, it runs as shipped.
const addonEnv = (): Record<string, string> => {
  if (hasPrebuild()) return {};
  const libs = join(root, 'native', 'lib', `${process.platform}-${process.arch}`);
  return {
    PRODUCTION_ENSEMBLE_ADDON: join(root, 'build', 'Release', 'production_ensemble.node'),
    LIGHTGBM_LIB: join(libs, 'lib_lightgbm.so'),
    XGBOOST_LIB: join(libs, 'libxgboost.so'),
  };
};
const bin = () => join(consumer, 'node_modules', '.bin', 'production-ensemble');

/** The directory of package `name` as this tree's build resolves it. */
function packageDir(name: string): string {
  const from = createRequire(join(root, 'dist', 'index.js'));
  for (let dir = dirname(from.resolve(name)); dir !== dirname(dir); dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === name) return realpathSync(dir);
  }
  throw new Error(`${name}: no package.json above ${from.resolve(name)}`);
}

describe('a library install', () => {
  it('holds the package and node-gyp-build only', () => {
    const top = readdirSync(join(consumer, 'node_modules')).filter((d) => !d.startsWith('.'));
    expect(top.sort()).toEqual(['node-gyp-build', 'production-ensemble']);
  });

  it('scores through the installed package as this tree does', () => {
    if (!hasPrebuild()) console.log('no prebuild in the tarball: the installed package uses this tree\'s addon and libraries');
    const code = `
      import { ProductionEnsemble } from 'production-ensemble';
      const m = await ProductionEnsemble.load();
      console.log(JSON.stringify({ p: m.predictOne(new Float64Array(12).fill(0.5)), dir: m.getModelInfo().directory }));`;
    const r = sh(process.execPath, ['--input-type=module', '-e', code], consumer, addonEnv());
    expect(r.status, r.stderr).toBe(0);
    const got = JSON.parse(r.stdout) as { p: number; dir: string };
    expect(got.dir).toBe(join(installed, 'models', 'production'));
    const here = ProductionEnsemble.loadSync();
    try {
      expect(got.p).toBe(here.predictOne(new Float64Array(12).fill(0.5)));
    } finally {
      here.close();
    }
  });

  it('its install script needs no build tool when a prebuild is there, and names them when not', () => {
    const r = sh(process.execPath, [join(installed, 'scripts', 'install.mjs')], installed, { PRODUCTION_ENSEMBLE_SKIP_LIBS: '1' });
    if (hasPrebuild()) {
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).toContain('using the prebuilt/built addon');
    } else {
      expect(r.status).toBe(1);
      const tools = ['cmake-js', 'node-addon-api', 'node-api-headers'].map((t) => `${t}@${pkg.devDependencies[t]}`).join(' ');
      expect(r.stderr).toContain(`npm install ${tools} && npm rebuild production-ensemble`);
    }
  });

  it('npx production-ensemble --version works without the command packages', () => {
    const r = sh(bin(), ['--version'], consumer);
    expect([r.status, r.stdout, r.stderr]).toEqual([0, `${pkg.version}\n`, '']);
  });

  it('any other command says which packages to install, with a coded error', () => {
    const { exitCode } = ERROR_CODES.ERR_MISSING_DEPENDENCY;
    const spec = (p: string) => `${p}@${pkg.devDependencies[p]}`;
    const info = sh(bin(), ['info'], consumer);
    expect(info.status).toBe(exitCode);
    expect(info.stderr).toContain('production-ensemble: MissingDependencyError [ERR_MISSING_DEPENDENCY]: the production-ensemble command needs commander (not installed)');
    expect(info.stderr).toContain(`npm install ${spec('commander')} (`);
    const score = sh(bin(), ['score', 'x.csv'], consumer);
    expect(score.status).toBe(exitCode);
    const all = ['commander', ...TABLE_PACKAGES, 'cli-progress'];
    expect(score.stderr).toContain(`the score command needs ${all.map((p) => `${p} (not installed)`).join(', ')}`);
    expect(score.stderr).toContain(`npm install ${all.map(spec).join(' ')} (`);
  });

  it('the library imports without DuckDB; scoreTable then names the packages to install, with a coded error', () => {
    const code = `
      import { scoreTable, scoreBatches } from 'production-ensemble';
      const out = [];
      for (const run of [() => scoreTable('x.csv'), async () => { for await (const b of scoreBatches('x.csv')) void b; }]) {
        try { await run(); out.push('no error'); } catch (e) { out.push({ name: e.name, code: e.code, message: e.message }); }
      }
      console.log(JSON.stringify(out));`;
    const r = sh(process.execPath, ['--input-type=module', '-e', code], consumer, addonEnv());
    expect(r.status, r.stderr).toBe(0);
    const spec = TABLE_PACKAGES.map((p) => `${p}@${pkg.devDependencies[p]}`).join(' ');
    for (const e of JSON.parse(r.stdout) as { name: string; code: string; message: string }[]) {
      expect(e).toMatchObject({ name: 'MissingDependencyError', code: 'ERR_MISSING_DEPENDENCY' });
      expect(e.message).toContain(`scoring tables needs ${TABLE_PACKAGES.map((p) => `${p} (not installed)`).join(', ')}`);
      expect(e.message).toContain(`npm install ${spec} (`);
    }
  });

  it('installs into a project that uses another major version of commander, whose command then says so', () => {
    // A real older commander, as the project's own dependency: with the command's packages as
    // (even optional) peers, npm refused this install (ERESOLVE).
    const r = sh('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--prefer-offline', 'commander@12'], consumer);
    expect(r.status, r.stderr).toBe(0);
    expect(existsSync(join(installed, 'package.json'))).toBe(true);
    const info = sh(bin(), ['info'], consumer);
    expect(info.status).toBe(ERROR_CODES.ERR_MISSING_DEPENDENCY.exitCode);
    expect(info.stderr).toMatch(new RegExp(`needs commander \\${pkg.devDependencies.commander} \\(12\\.\\d+\\.\\d+ is installed\\)`));
    const removed = sh('npm', ['uninstall', '--no-audit', '--no-fund', '--ignore-scripts', 'commander'], consumer);
    expect(removed.status, removed.stderr).toBe(0);
  });
});

describe('with the command packages installed beside it', () => {
  beforeAll(() => {
    // Linked from where this tree's build finds them: resolved from the consumer as installed ones are.
    for (const p of ['commander', 'cli-progress', ...TABLE_PACKAGES]) {
      mkdirSync(dirname(join(consumer, 'node_modules', p)), { recursive: true });
      symlinkSync(packageDir(p), join(consumer, 'node_modules', p));
    }
  });

  it('info and score run', () => {
    const info = sh(bin(), ['info', '--json'], consumer, addonEnv());
    expect(info.status, info.stderr).toBe(0);
    expect(JSON.parse(info.stdout)).toMatchObject({ type: 'ProductionEnsemble', nFeatures: 12 });
    const features = join(root, 'data', 'sample_features.csv');
    const score = sh(bin(), ['score', features, '--from-features', '--json', '--no-progress'], consumer, addonEnv());
    expect(score.status, score.stderr).toBe(0);
    const rows = readFileSync(features, 'utf8').trim().split('\n').length - 1;
    expect(JSON.parse(score.stdout)).toMatchObject({ inputRows: rows, scoredRows: rows });
  });

  it('scoreTable from the installed library writes Parquet', () => {
    const out = join(work, 'scores.parquet');
    const code = `
      import { scoreTable } from 'production-ensemble';
      const s = await scoreTable(${JSON.stringify(join(root, 'data', 'sample_history.csv'))}, { output: ${JSON.stringify(out)} });
      console.log(JSON.stringify(s));`;
    const r = sh(process.execPath, ['--input-type=module', '-e', code], consumer, addonEnv());
    expect(r.status, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout) as { scoredRows: number; output: string };
    expect(s.scoredRows).toBeGreaterThan(1000);
    expect(readFileSync(out).subarray(0, 4).toString()).toBe('PAR1');
  });
});

describe('types, checked on the installed tarball', () => {
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const strict = {
    strict: true,
    noEmit: true,
    skipLibCheck: false,
    exactOptionalPropertyTypes: true,
    noUncheckedIndexedAccess: true,
    target: 'ES2022',
    lib: ['ES2022'],
    types: ['node'],
  };

  beforeAll(() => {
    mkdirSync(join(consumer, 'src'), { recursive: true });
    cpSync(join(root, 'test', 'fixtures', 'consumer', 'index.ts'), join(consumer, 'src', 'index.ts'));
    mkdirSync(join(consumer, 'node_modules', '@types'), { recursive: true });
    const types = join(consumer, 'node_modules', '@types', 'node');
    if (!existsSync(types)) symlinkSync(realpathSync(join(root, 'node_modules', '@types', 'node')), types);
  });

  it.for([
    ['node16', { module: 'node16', moduleResolution: 'node16' }],
    ['nodenext', { module: 'nodenext', moduleResolution: 'nodenext' }],
    ['bundler', { module: 'esnext', moduleResolution: 'bundler' }],
  ] as const)('a strict consumer compiles with %s resolution, without skipLibCheck', ([name, resolution], ctx) => {
    if (!existsSync(tsc)) return missing('typescript is not installed', () => ctx.skip());
    const config = join(consumer, `tsconfig.${name}.json`);
    writeFileSync(config, JSON.stringify({ compilerOptions: { ...strict, ...resolution }, include: ['src'] }));
    const r = sh(process.execPath, [tsc, '-p', config], consumer);
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('@arethetypeswrong/cli finds no problem in the tarball', (ctx) => {
    let attw = process.env.PRODUCTION_ENSEMBLE_ATTW ?? '';
    if (!attw) {
      try {
        const dir = dirname(require.resolve('@arethetypeswrong/cli/package.json'));
        const { bin: b } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { bin: Record<string, string> };
        attw = join(dir, b.attw as string);
      } catch {
        return missing('@arethetypeswrong/cli is not installed', () => ctx.skip());
      }
    }
    // esm-only: the package is ESM (Node >= 20), so a CommonJS require() under node16 resolution
    // is expected to need import() (attw still prints that, as ignored); every other resolution
    // must be clean, or attw exits 1.
    const r = sh(process.execPath, [attw, tarball, '--profile', 'esm-only', '--format', 'json'], work);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { problems: Record<string, { kind: string; resolutionKind?: string }[]> };
    const counted = Object.values(report.problems)
      .flat()
      .filter((p) => !['node10', 'node16-cjs'].includes(p.resolutionKind ?? ''));
    expect(counted).toEqual([]);
  });
});
