/**
 * A hive-partitioned Parquet output (`--partition-by symbol`): `<dir>/symbol=<name>/part-0.parquet`
 * per symbol. Partitions are built in a hidden staging directory inside `<dir>` and each is moved
 * into place by one rename once its symbol's last row is written, so a partition directory is
 * there complete or not at all; a rerun with `resume` skips the partitions already there.
 * @internal
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { InvalidInputFileError, OutputFileError } from '../errors.js';
import { type Discardable, track, untrack } from './output-file.js';
import type { BatchWriter, ScoredBatch } from './batch.js';
import { ParquetStream } from './parquet-writer.js';

/** A partition's rows are written as a row group once this many are buffered. */
const ROW_GROUP_ROWS = 65_536;
/** Rows buffered across all open partitions (interleaved symbols) before the largest is written. */
const MAX_BUFFERED_ROWS = 1 << 20;
const MANIFEST = '_production_ensemble.json';
const STAGING = /^\.production-ensemble-(\d+)-[0-9a-f]+\.partial$/;

// Hive's escaping of partition values: these characters as %XX (DuckDB decodes them back).
const UNSAFE = /["#%'*/:=?\\{}[\]^\x00-\x1f\x7f]/g;

/** The directory name of a partition value. */
export function partitionName(key: string, value: string): string {
  if (value === '') throw new InvalidInputFileError(`a row has an empty ${key}: it cannot name a partition`);
  const v = value.replace(UNSAFE, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
  return `${key}=${v === '.' || v === '..' ? v.replace(/\./g, '%2E') : v}`;
}

/** What a run wrote its partitions with; a resumed run must match it. */
export type Manifest = Record<string, unknown>;

/** A partitioned output directory being written. */
export class PartitionedOutput implements Discardable {
  readonly dir: string;
  readonly staging: string;
  /** Values whose partition is already complete (from an earlier run, with resume). */
  readonly complete: Set<string>;
  readonly interruptNote = 'complete partitions are kept, the others removed (rerun with --resume to go on)';
  #open = true;

  private constructor(dir: string, readonly key: string, complete: Set<string>, signals: boolean) {
    this.dir = dir;
    this.complete = complete;
    this.staging = join(dir, `.production-ensemble-${process.pid}-${randomBytes(4).toString('hex')}.partial`);
    mkdirSync(this.staging, { mode: 0o700 });
    track(this, signals);
  }

  /**
   * Opens `dir` (created if missing): empty, or with `resume` a directory this command wrote with
   * the same `manifest` (its complete partitions are kept and listed). Refuses an input inside it.
   */
  static create(dir: string, key: string, manifest: Manifest, opts: { resume: boolean; inputs: readonly string[]; signals: boolean }): PartitionedOutput {
    const fail = (why: string) => new OutputFileError(`cannot write ${dir}: ${why}`);
    const abs = resolve(dir);
    const inside = opts.inputs.find((f) => !relative(abs, resolve(f)).startsWith('..'));
    if (inside) throw fail(`the input ${inside} is inside it (the output directory must not hold the input)`);
    if (existsSync(abs) && !statSync(abs).isDirectory()) throw fail('it exists and is not a directory (--partition-by writes a directory)');
    try {
      mkdirSync(abs, { recursive: true });
    } catch (e) {
      throw fail(`cannot create the directory (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    removeStaleStaging(abs);
    const entries = readdirSync(abs).filter((n) => !STAGING.test(n));
    const manifestPath = join(abs, MANIFEST);
    const want = JSON.stringify(manifest);
    const complete = new Set<string>();
    if (entries.length > 0) {
      if (!opts.resume) throw fail('it is not empty (use --resume to go on with an interrupted run, or choose an empty directory)');
      if (!existsSync(manifestPath)) throw fail(`it was not written by this command (no ${MANIFEST}): cannot resume into it`);
      const had = readFileSync(manifestPath, 'utf8').trim();
      if (had !== want) throw fail(`it was written with other options or models (${MANIFEST}: ${had}; this run: ${want}): cannot resume into it`);
      const prefix = `${key}=`;
      for (const n of entries) {
        if (!n.startsWith(prefix)) continue;
        complete.add(decodeURIComponent(n.slice(prefix.length)));
      }
    } else {
      try {
        writeFileSync(manifestPath, `${want}\n`);
      } catch (e) {
        throw fail(`cannot write ${MANIFEST} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
      }
    }
    return new PartitionedOutput(abs, key, complete, opts.signals);
  }

  /** Moves a finished partition from the staging directory into place. */
  commit(name: string): void {
    const target = join(this.dir, name);
    if (existsSync(target)) throw new OutputFileError(`cannot write ${target}: it already exists (another run writing the same directory?)`);
    try {
      renameSync(join(this.staging, name), target);
    } catch (e) {
      throw new OutputFileError(`cannot write ${target}: cannot move the finished partition into place (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
  }

  /** Removes the staging directory (partitions not committed); committed ones stay. */
  discard(): void {
    if (!this.#open) return;
    this.#open = false;
    rmSync(this.staging, { recursive: true, force: true, maxRetries: 3 });
    untrack(this);
  }
}

/** Staging directories of runs that are no longer running (killed with SIGKILL, a crash). */
function removeStaleStaging(dir: string): void {
  for (const n of readdirSync(dir)) {
    const pid = Number(STAGING.exec(n)?.[1]);
    if (!pid) continue;
    try {
      process.kill(pid, 0);
      continue; // that process is alive: leave its files alone
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ESRCH') continue;
    }
    rmSync(join(dir, n), { recursive: true, force: true });
  }
}

interface Partition {
  name: string;
  file: ParquetStream;
  fill: number;
  cap: number;
  timeUs: Float64Array;
  lightgbm: Float64Array;
  xgboost: Float64Array;
  randomForest: Float64Array;
  ensemble: Float64Array;
  label: Uint8Array;
}

/** A batch with the symbols whose last input row it holds (their partitions can be committed). */
export interface PartitionedBatch extends ScoredBatch {
  completes?: readonly number[];
}

/** Writes batches into `out`'s partitions; `completes` on a batch commits those symbols. */
export function datasetWriter(out: PartitionedOutput, keyValues: Record<string, string>): BatchWriter {
  const parts = new Map<number, Partition>();
  let buffered = 0;
  let busyMs = 0;

  const open = async (code: number, name: string): Promise<Partition> => {
    let p = parts.get(code);
    if (p) return p;
    const dirName = partitionName(out.key, name);
    mkdirSync(join(out.staging, dirName));
    const cap = 1024;
    p = {
      name: dirName,
      file: await ParquetStream.open(join(out.staging, dirName, 'part-0.parquet'), { withSymbol: false, keyValues, create: true }),
      fill: 0,
      cap,
      timeUs: new Float64Array(cap),
      lightgbm: new Float64Array(cap),
      xgboost: new Float64Array(cap),
      randomForest: new Float64Array(cap),
      ensemble: new Float64Array(cap),
      label: new Uint8Array(cap),
    };
    parts.set(code, p);
    return p;
  };

  const flush = async (p: Partition) => {
    if (p.fill === 0) return;
    const n = p.fill;
    buffered -= n;
    p.fill = 0;
    await p.file.write({ rows: n, timeUs: p.timeUs, lightgbm: p.lightgbm, xgboost: p.xgboost, randomForest: p.randomForest, ensemble: p.ensemble, label: p.label });
  };

  const grow = (p: Partition, need: number) => {
    if (need <= p.cap) return;
    const cap = Math.max(need, Math.min(p.cap * 2, ROW_GROUP_ROWS));
    const f = (a: Float64Array) => {
      const b = new Float64Array(cap);
      b.set(a.subarray(0, p.fill));
      return b;
    };
    p.timeUs = f(p.timeUs);
    p.lightgbm = f(p.lightgbm);
    p.xgboost = f(p.xgboost);
    p.randomForest = f(p.randomForest);
    p.ensemble = f(p.ensemble);
    const l = new Uint8Array(cap);
    l.set(p.label.subarray(0, p.fill));
    p.label = l;
    p.cap = cap;
  };

  // Rows [a, b) of the batch, all of symbol `p`, appended to its buffer.
  const append = async (p: Partition, bt: ScoredBatch, a: number, b: number) => {
    while (a < b) {
      const take = Math.min(b - a, ROW_GROUP_ROWS - p.fill);
      grow(p, p.fill + take);
      const at = p.fill;
      if (take >= 16) {
        p.timeUs.set(bt.timeUs.subarray(a, a + take), at);
        p.lightgbm.set(bt.lightgbm.subarray(a, a + take), at);
        p.xgboost.set(bt.xgboost.subarray(a, a + take), at);
        p.randomForest.set(bt.randomForest.subarray(a, a + take), at);
        p.ensemble.set(bt.ensemble.subarray(a, a + take), at);
        p.label.set(bt.label.subarray(a, a + take), at);
      } else {
        for (let i = 0; i < take; i++) {
          p.timeUs[at + i] = bt.timeUs[a + i] as number;
          p.lightgbm[at + i] = bt.lightgbm[a + i] as number;
          p.xgboost[at + i] = bt.xgboost[a + i] as number;
          p.randomForest[at + i] = bt.randomForest[a + i] as number;
          p.ensemble[at + i] = bt.ensemble[a + i] as number;
          p.label[at + i] = bt.label[a + i] as number;
        }
      }
      p.fill += take;
      buffered += take;
      a += take;
      if (p.fill === ROW_GROUP_ROWS) await flush(p);
    }
  };

  const finishPartition = async (p: Partition, code: number) => {
    await flush(p);
    await p.file.finish();
    parts.delete(code);
    out.commit(p.name);
  };

  return {
    get busyMs() {
      return busyMs;
    },
    async write(bt: PartitionedBatch) {
      const t0 = performance.now();
      const key = bt.symbolIndex;
      for (let a = 0; a < bt.rows; ) {
        const k = key[a] as number;
        let b = a + 1;
        while (b < bt.rows && key[b] === k) b++;
        await append(await open(k, bt.symbols[k] as string), bt, a, b);
        a = b;
      }
      // Interleaved symbols keep many partitions open: bound what they hold.
      if (buffered > MAX_BUFFERED_ROWS) {
        const bySize = [...parts.values()].sort((x, y) => y.fill - x.fill);
        for (const p of bySize) {
          if (buffered <= MAX_BUFFERED_ROWS / 2) break;
          await flush(p);
        }
      }
      // A symbol with no scored row (all warm-up) still gets its partition, empty.
      for (const code of bt.completes ?? []) await finishPartition(await open(code, bt.symbols[code] as string), code);
      busyMs += performance.now() - t0;
    },
    async finish() {
      for (const [code, p] of [...parts]) await finishPartition(p, code);
      out.discard();
    },
    abort() {
      for (const p of parts.values()) p.file.abort();
      parts.clear();
      out.discard();
    },
  };
}
