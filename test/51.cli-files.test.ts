// The score command against hostile files, in child processes: outputs that alias the input,
// over-long CSV lines and headers, output failures (long names, /proc, a full disk, a vanished
// directory) and signals. Nothing may be overwritten, dropped silently or left behind.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { linkSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { findLongLines } from '../dist/pipeline/csv-scan.js';
import { ERROR_CODES, type ErrorCode } from '../dist/error-codes.js';
import { root } from './helpers.js';

const cli = join(root, 'dist', 'cli', 'main.js');
const history = join(root, 'data', 'sample_history.csv');
const work = mkdtempSync(join(tmpdir(), 'pe-cli-files-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const candles = readFileSync(history, 'utf8').trim().split('\n');
const small = join(work, 'small.csv');
const big = join(work, 'big.csv');
beforeAll(() => {
  writeFileSync(small, `${candles.slice(0, 301).join('\n')}\n`);
  // 400k candles with increasing hourly timestamps: a few seconds of scoring, time to interrupt.
  let t = Date.parse('2020-01-01T00:00:00Z');
  const out = [candles[0] as string];
  for (let k = 0; k < 40; k++) {
    for (const r of candles.slice(1)) {
      const cells = r.split(',');
      cells[0] = new Date(t).toISOString();
      t += 3_600_000;
      out.push(cells.join(','));
    }
  }
  writeFileSync(big, `${out.join('\n')}\n`);
});

function run(args: string[], shell?: string) {
  const r = shell
    ? spawnSync('/bin/sh', ['-c', `${shell}; exec "$0" "$@"`, process.execPath, cli, ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 })
    : spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
const leftovers = (dir: string) => readdirSync(dir).filter((f) => f.includes('.partial') || f.endsWith('.duckdb') || f.endsWith('.wal'));

/** A coded one-line failure: `[code]`, no stack trace, the code's exit status. */
function expectCoded(r: { status: number | null; stderr: string }, code: ErrorCode, text: RegExp) {
  expect(r.stderr).toMatch(new RegExp(`^production-ensemble: \\w+ \\[${code}\\]: `));
  expect(r.stderr).toMatch(text);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(r.status).toBe(ERROR_CODES[code].exitCode);
}

it('an output that is the input by any path is refused before any work; the input survives', () => {
  const dir = join(work, 'alias');
  mkdirSync(dir);
  const input = join(dir, 'in.csv');
  writeFileSync(input, readFileSync(small));
  const before = sha(input);
  const dirLink = join(work, 'dirlink');
  symlinkSync(dir, dirLink);
  linkSync(input, join(dir, 'hard.csv'));
  symlinkSync(input, join(dir, 'link-to-input.csv'));
  symlinkSync(input, join(work, 'input-link.csv'));
  const cases: [string, string, RegExp][] = [
    [input, join(dirLink, 'in.csv'), /same file by another path/], // the repro
    [input, join(dir, 'hard.csv'), /same file by another path or a hard link/],
    [input, join(dir, 'link-to-input.csv'), /symbolic link to the input/],
    [join(work, 'input-link.csv'), input, /same file by another path/], // the input given through a link
    [input, input, /it is the input/],
  ];
  for (const [i, o, why] of cases) {
    const r = run(['score', i, '-o', o]);
    expectCoded(r, 'ERR_OUTPUT_FILE', why);
    expect(r.stdout).toBe('');
    expect(sha(input)).toBe(before);
  }
  expect(leftovers(dir)).toEqual([]);
});

it('a 50 MB junk line is an error naming the line, or with --skip-invalid a listed invalid line', () => {
  // 100 candles, the junk line (line 102), 100 candles of which one has a bad value (line 152).
  const file = join(work, 'junk.csv');
  const text = candles.slice(0, 201);
  text[150] = (text[150] as string).replace(/,[^,]+,/, ',oops,');
  writeFileSync(file, `${text.slice(0, 101).join('\n')}\n${'x'.repeat(50_000_000)}\n${text.slice(101).join('\n')}\n`);
  const s = run(['score', file, '--skip-invalid', '--json']);
  expect(s.status, s.stderr).toBe(0);
  const sum = JSON.parse(s.stdout);
  expect(sum.inputRows).toBe(199);
  expect(sum.invalidRows).toBe(2);
  expect(sum.invalidLines).toEqual([
    { line: 102, message: 'the line is 50,000,000 bytes long, over the limit of 2,000,000 bytes per line' },
    { line: 152, message: expect.stringContaining('oops') },
  ]);
  const r = run(['score', file]);
  expectCoded(r, 'ERR_INVALID_INPUT_FILE', /junk\.csv: line 102: the line is 50,000,000 bytes long, over the limit of 2,000,000 bytes per line/);
});

it('the long-line scan agrees with a plain split, across read boundaries and quoted line breaks', () => {
  // Small limits and read sizes, so that lines straddle reads in every way; numbers count records.
  let seed = 7;
  const rnd = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const file = join(work, 'scan.csv');
  for (let iter = 0; iter < 500; iter++) {
    const limit = 1 + rnd(20);
    let text = '';
    for (let l = rnd(12); l > 0; l--) text += `${Array.from({ length: rnd(2 * limit + 3) }, () => (rnd(15) === 0 ? '"' : 'x')).join('')}${l > 1 || rnd(2) ? '\n' : ''}`;
    writeFileSync(file, text);
    // The record number at each byte (a quoted line break does not end a record), then the lines.
    const recordAt: number[] = [];
    let [record, inQuotes] = [1, false];
    for (const c of `${text} `) {
      recordAt.push(record);
      if (c === '"') inQuotes = !inQuotes;
      else if (c === '\n' && !inQuotes) record++;
    }
    const want: { line: number; offset: number; bytes: number }[] = [];
    let start = 0;
    for (let i = 0; i <= text.length; i++) {
      if (i < text.length && text[i] !== '\n') continue;
      if (i - start > limit) want.push({ line: recordAt[start] as number, offset: start, bytes: i - start });
      start = i + 1;
    }
    expect(findLongLines(file, 0x0a, limit, 1 + rnd(40)), JSON.stringify({ text, limit })).toEqual(want);
  }
});

it('a line too long even to skip is an error naming it', () => {
  const huge = join(work, 'huge.csv');
  writeFileSync(huge, `${candles.slice(0, 11).join('\n')}\n${'x'.repeat(70_000_000)}\n`);
  const r = run(['score', huge, '--skip-invalid']);
  expectCoded(r, 'ERR_INVALID_INPUT_FILE', /line 12: the line is 70,000,000 bytes long, .*too long even to be skipped/);
});

it('a wide header is read whole (quotes, BOM); a header over the limit is a clear error', () => {
  const extra = Array.from({ length: 6000 }, (_, i) => `extra_column_${i}`);
  const wide = join(work, 'wide.csv');
  const rows = candles.slice(1, 301).map((r) => `${','.repeat(6000)}"a, b",${r}`);
  writeFileSync(wide, `\ufeff${extra.join(',')},"note, with ""quotes""",${candles[0]}\n${rows.join('\n')}\n`);
  expect(statSync(wide).size).toBeGreaterThan(100_000);
  const outWide = join(work, 'wide-scores.csv');
  const outNarrow = join(work, 'narrow-scores.csv');
  const r = run(['score', wide, '-o', outWide]);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  expect(run(['score', small, '-o', outNarrow]).status).toBe(0);
  expect(readFileSync(outWide, 'utf8')).toBe(readFileSync(outNarrow, 'utf8'));

  const tooWide = join(work, 'too-wide.csv');
  writeFileSync(tooWide, `${'c'.repeat(2_500_000)},${candles[0]}\n${candles[1]}\n`);
  expectCoded(run(['score', tooWide]), 'ERR_INVALID_INPUT_FILE', /line 1 \(the header\) is longer than the limit of 2,000,000 bytes/);
});

it('output names near NAME_MAX, /proc and non-regular files: written, or a coded error', () => {
  const dir = join(work, 'names');
  mkdirSync(dir);
  const long = join(dir, `${'a'.repeat(251)}.csv`); // 255 bytes: its old `.partial-<pid>` name was not
  const ok = run(['score', small, '-o', long]);
  expect(ok.stderr).toBe('');
  expect(ok.status).toBe(0);
  expect(readFileSync(long, 'utf8').split('\n')[0]).toBe('timestamp,lightgbm,xgboost,random_forest,ensemble,label');
  expectCoded(run(['score', small, '-o', join(dir, `${'b'.repeat(300)}.csv`)]), 'ERR_OUTPUT_FILE', /file name is 304 bytes long/);
  expectCoded(run(['score', small, '-o', '/proc/x.csv']), 'ERR_OUTPUT_FILE', /cannot write \/proc\/x\.csv: cannot create a file in \/proc/);
  const fifo = join(dir, 'fifo.csv');
  expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
  expectCoded(run(['score', small, '-o', fifo]), 'ERR_OUTPUT_FILE', /not a regular file/);
  expect(statSync(fifo).isFIFO()).toBe(true);
  expect(leftovers(dir)).toEqual([]);
});

it('a write failure (file size limit) is a coded error and leaves nothing', () => {
  const dir = join(work, 'full');
  mkdirSync(dir);
  for (const name of ['x.csv', 'x.parquet']) {
    // RLIMIT_FSIZE: writes fail with EFBIG, as on a full disk.
    const r = run(['score', big, '-o', join(dir, name)], 'ulimit -f 2000');
    expectCoded(r, 'ERR_OUTPUT_FILE', new RegExp(`cannot write .*${name.replace('.', '\\.')}: .*(EFBIG|File too large)`));
    expect(readdirSync(dir)).toEqual([]);
  }
});

/** Starts scoring `big` into `out` and resolves once the temporary file has data in it. */
async function startWriting(out: string, dir: string): Promise<{ child: ChildProcess; stderr: () => string; exit: Promise<number | string | null> }> {
  const child = spawn(process.execPath, [cli, 'score', big, '-o', out], { cwd: root });
  let err = '';
  child.stderr?.on('data', (d) => {
    err += d;
  });
  const exit = new Promise<number | string | null>((r) => child.on('exit', (c, s) => r(c ?? s)));
  const deadline = Date.now() + 60_000;
  for (;;) {
    const temps = readdirSync(dir).filter((f) => f.includes('.partial'));
    if (temps.some((f) => (statSync(join(dir, f), { throwIfNoEntry: false })?.size ?? 0) > 0)) break;
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`no output being written: ${err}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return { child, stderr: () => err, exit };
}

/** Resolves once the temporary file in `dir` is larger than it is now. */
async function grown(dir: string): Promise<void> {
  const size = () => readdirSync(dir).filter((f) => f.includes('.partial')).reduce((n, f) => n + (statSync(join(dir, f), { throwIfNoEntry: false })?.size ?? 0), 0);
  const start = size();
  const deadline = Date.now() + 60_000;
  while (size() <= start && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
}

it('the output directory vanishing mid-run is a coded error', async () => {
  const dir = join(work, 'vanishing');
  mkdirSync(dir);
  const w = await startWriting(join(dir, 'x.csv'), dir);
  rmSync(dir, { recursive: true });
  expectCoded({ status: await w.exit, stderr: w.stderr() }, 'ERR_OUTPUT_FILE', /cannot write .*x\.csv: .*ENOENT/);
});

it('SIGHUP, SIGTERM and SIGINT remove the partial output and exit with 128 + the signal', async () => {
  const codes = { SIGHUP: 129, SIGTERM: 143, SIGINT: 130 } as const;
  let k = 0;
  for (const [signal, code] of Object.entries(codes)) {
    for (const name of ['x.csv', 'x.parquet']) {
      const dir = join(work, `${signal}-${name}`);
      mkdirSync(dir);
      const w = await startWriting(join(dir, name), dir);
      // As soon as the writer starts, or while it writes: once the file has grown. (A fixed second
      // was too long: the pipeline now scores these 400k candles in well under a second after
      // the first row group, and the run could finish before the signal.)
      if (k++ % 2 === 1) await grown(dir);
      w.child.kill(signal as NodeJS.Signals);
      expect(await w.exit, `${signal} ${name}`).toBe(code);
      expect(w.stderr()).toContain(`interrupted (${signal}); no output written`);
      expect(readdirSync(dir), `${signal} ${name}`).toEqual([]);
    }
  }
});
