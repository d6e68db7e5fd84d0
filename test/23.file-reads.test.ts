// Outside files are read only when they are regular files under a size cap: a FIFO, a device, a
// directory or an oversized file is a clear error at once, never a hang or an exhausted heap.
// Every case runs in a child process with a time-out (a hang fails the test, not the suite) and,
// where prlimit exists, a 4 GB address-space limit (a runaway read cannot take the machine down).
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { productionDir, root } from './helpers.js';

const dist = JSON.stringify(join(root, 'dist', 'index.js'));
const prlimit = ['/usr/bin/prlimit', '/bin/prlimit'].find((p) => existsSync(p));
let work: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'pe-files-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Runs `body` (an async ES module snippet that prints one JSON line) in a child; a time-out fails. */
function child(body: string, timeoutMs = 20_000): unknown {
  const code = `import * as pe from ${dist};\nimport * as fs from 'node:fs';\n${body}`;
  const node = [process.execPath, '--input-type=module', '-e', code];
  const argv = prlimit ? [prlimit, '--as=4000000000', ...node] : node;
  const started = Date.now();
  const r = spawnSync(argv[0] as string, argv.slice(1), { cwd: root, encoding: 'utf8', timeout: timeoutMs, killSignal: 'SIGKILL' });
  const elapsed = Date.now() - started;
  if (r.error || r.signal !== null || r.status !== 0) {
    throw new Error(`child failed after ${elapsed} ms (status ${r.status}, signal ${r.signal}, ${r.error?.message ?? ''}): ${r.stderr.slice(-1500)}`);
  }
  return JSON.parse(r.stdout.trim().split('\n').pop() ?? '');
}

/** The outcome of a load expression in a child: {ok} or {name, code, message}. */
function loadOutcome(expr: string): { ok?: boolean; name?: string; code?: string; message?: string } {
  return child(`
    try { const m = await (${expr}); m.close(); console.log(JSON.stringify({ ok: true })); }
    catch (e) { console.log(JSON.stringify({ name: e.name, code: e.code, message: e.message })); }`) as never;
}

function copyDir(name: string): string {
  const d = join(work, name);
  cpSync(productionDir, d, { recursive: true });
  return d;
}

function mkfifo(path: string): void {
  const r = spawnSync('mkfifo', [path]);
  if (r.status !== 0) throw new Error(`mkfifo ${path} failed: ${r.stderr}`);
}

describe('a model or metadata file that is not a regular file', () => {
  it('a FIFO as a model file: load refuses at once, naming the file', () => {
    const d = copyDir('fifo-model');
    unlinkSync(join(d, 'xgboost.json'));
    mkfifo(join(d, 'xgboost.json'));
    const r = loadOutcome(`pe.ProductionEnsemble.load(${JSON.stringify(d)}, { verifyChecksums: false })`);
    expect(r.code).toBe('ERR_MODEL_NOT_FOUND');
    expect(r.message).toMatch(/xgboost\.json: it is a FIFO, not a regular file/);
    const alone = loadOutcome(`pe.XGBoostModel.load(${JSON.stringify(join(d, 'xgboost.json'))})`);
    expect(alone.code).toBe('ERR_MODEL_NOT_FOUND');
    expect(alone.message).toMatch(/FIFO/);
  });

  it('a FIFO as the metadata file', () => {
    const d = copyDir('fifo-meta');
    unlinkSync(join(d, 'production_model_metadata.json'));
    mkfifo(join(d, 'production_model_metadata.json'));
    const r = loadOutcome(`pe.ProductionEnsemble.load(${JSON.stringify(d)})`);
    expect(r.code).toBe('ERR_MODEL_NOT_FOUND');
    expect(r.message).toMatch(/production_model_metadata\.json: it is a FIFO, not a regular file/);
  });

  it('a symlink to /dev/zero as a model file and as the metadata: refused, nothing read', () => {
    const d = copyDir('zero');
    unlinkSync(join(d, 'lightgbm.txt'));
    symlinkSync('/dev/zero', join(d, 'lightgbm.txt'));
    const r = loadOutcome(`pe.ProductionEnsemble.load(${JSON.stringify(d)}, { verifyChecksums: false })`);
    expect(r.code).toBe('ERR_MODEL_NOT_FOUND');
    expect(r.message).toMatch(/lightgbm\.txt: it is a character device, not a regular file/);
    const alone = loadOutcome(`pe.LightGBMModel.load(${JSON.stringify(join(d, 'lightgbm.txt'))})`);
    expect(alone.message).toMatch(/character device/);
    const m = copyDir('zero-meta');
    unlinkSync(join(m, 'production_model_metadata.json'));
    symlinkSync('/dev/zero', join(m, 'production_model_metadata.json'));
    expect(loadOutcome(`pe.ProductionEnsemble.load(${JSON.stringify(m)})`).message).toMatch(/production_model_metadata\.json: it is a character device/);
  });

  it('a directory where a model file should be', () => {
    const d = copyDir('dir-model');
    unlinkSync(join(d, 'random_forest.forest'));
    mkdirSync(join(d, 'random_forest.forest'));
    const r = loadOutcome(`pe.ProductionEnsemble.load(${JSON.stringify(d)}, { verifyChecksums: false })`);
    expect(r.code).toBe('ERR_MODEL_NOT_FOUND');
    expect(r.message).toMatch(/random_forest\.forest: it is a directory, not a regular file/);
  });

  it('a symlink to a regular file is fine', () => {
    const d = copyDir('link-ok');
    const real = join(work, 'lightgbm-elsewhere.txt');
    cpSync(join(d, 'lightgbm.txt'), real);
    unlinkSync(join(d, 'lightgbm.txt'));
    symlinkSync(real, join(d, 'lightgbm.txt'));
    expect(loadOutcome(`pe.ProductionEnsemble.load(${JSON.stringify(d)})`)).toEqual({ ok: true });
  });
});

describe('the size cap', () => {
  it('a model file above maxFileBytes is refused before it is read', () => {
    const r = loadOutcome(`pe.ProductionEnsemble.load(${JSON.stringify(productionDir)}, { maxFileBytes: 100000 })`);
    expect(r.code).toBe('ERR_MODEL_FORMAT');
    expect(r.message).toMatch(/lightgbm\.txt: it is \d+ bytes, more than the limit of 100000 \(the maxFileBytes option\)/);
    const alone = loadOutcome(`pe.RandomForestModel.load(${JSON.stringify(join(productionDir, 'random_forest.forest'))}, { maxFileBytes: 1000 })`);
    expect(alone.message).toMatch(/random_forest\.forest: it is \d+ bytes, more than the limit of 1000\b/);
    expect(loadOutcome(`pe.ProductionEnsemble.load(${JSON.stringify(productionDir)}, { maxFileBytes: 0 })`).name).toBe('RangeError');
  });

  it('the default cap (1 GiB): a sparse 2 GiB file is refused at once', () => {
    const d = copyDir('huge');
    truncateSync(join(d, 'random_forest.forest'), 2 ** 31);
    const started = Date.now();
    const r = loadOutcome(`pe.ProductionEnsemble.load(${JSON.stringify(d)}, { verifyChecksums: false })`);
    expect(r.message).toMatch(/random_forest\.forest: it is 2147483648 bytes, more than the limit of 1073741824/);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('metadata above its own cap (16 MiB)', () => {
    const d = copyDir('huge-meta');
    writeFileSync(join(d, 'production_model_metadata.json'), `{"pad": "${'x'.repeat(17 * 2 ** 20)}"}`);
    const r = loadOutcome(`pe.ProductionEnsemble.load(${JSON.stringify(d)})`);
    expect(r.code).toBe('ERR_METADATA');
    expect(r.message).toMatch(/production_model_metadata\.json: it is \d+ bytes, more than the limit of 16777216/);
  });
});

it('four hostile loads at once leave the libuv pool usable', () => {
  const fifoModel = copyDir('pool-fifo-model');
  unlinkSync(join(fifoModel, 'lightgbm.txt'));
  mkfifo(join(fifoModel, 'lightgbm.txt'));
  const fifoMeta = copyDir('pool-fifo-meta');
  unlinkSync(join(fifoMeta, 'production_model_metadata.json'));
  mkfifo(join(fifoMeta, 'production_model_metadata.json'));
  // libuv's pool has 4 threads: four loads that block would starve every later fs call.
  const r = child(`
    const model = await pe.ProductionEnsemble.load(${JSON.stringify(productionDir)}, { threads: 1 });
    const hostile = [${JSON.stringify(fifoModel)}, ${JSON.stringify(fifoMeta)}, ${JSON.stringify(fifoModel)}, ${JSON.stringify(fifoMeta)}]
      .map((d) => pe.ProductionEnsemble.load(d, { verifyChecksums: false }).then(() => 'loaded', (e) => e.code));
    const text = await fs.promises.readFile(${JSON.stringify(join(productionDir, 'model_metadata.json'))}, 'utf8');
    const p = await model.predictProbaAsync(new Float64Array(12 * 64).fill(0.5));
    const refused = await Promise.all(hostile);
    model.close();
    console.log(JSON.stringify({ read: text.length > 0, scored: p.length, refused }));`);
  expect(r).toEqual({ read: true, scored: 64, refused: ['ERR_MODEL_NOT_FOUND', 'ERR_MODEL_NOT_FOUND', 'ERR_MODEL_NOT_FOUND', 'ERR_MODEL_NOT_FOUND'] });
});
