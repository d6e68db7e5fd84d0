/**
 * Output-file safety for a scoring run: an output that would alias an input is refused before any work,
 * the data goes to a short hidden temporary file beside the target (renamed over it only when
 * complete), and every failure or signal removes the temporary files. Every failure is a coded error.
 * @internal
 */
import { randomBytes } from 'node:crypto';
import { accessSync, closeSync, constants, lstatSync, mkdirSync, openSync, renameSync, rmSync, statSync, type Stats } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { EnsembleError, OutputFileError } from '../errors.js';

/** Linux's NAME_MAX: a longer file name cannot be created on any common file system. */
const NAME_MAX = 255;

/** Signals that end a run: each removes the temporary files and exits with 128 + its number. */
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

const REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ENOENT: 'no such file or directory',
  ENOTDIR: 'a part of the path is not a directory',
  ENAMETOOLONG: 'the file name is too long',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EFBIG: 'the file is larger than this process may write (file size limit)',
  EROFS: 'read-only file system',
  EISDIR: 'it is a directory',
  EIO: 'input/output error',
  EEXIST: 'the file already exists',
  EXDEV: 'the temporary file is on another device',
};

/** Same file: the device and inode decide, whatever path, symlink or hard link leads there. */
const sameFile = (a: Stats, b: Stats) => a.dev === b.dev && a.ino === b.ino;

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

/** An output file under construction. */
export class OutputFile implements Discardable {
  /** The temporary file the writer fills; renamed to `path` by {@link commit}. */
  readonly temp: string;
  private readonly extras: string[] = [];
  private readonly closers: (() => void)[] = [];
  private readonly inputs: { path: string; stat: Stats }[];
  private pending = true;

  private constructor(
    /** The output path as the user gave it. */
    readonly path: string,
    inputs: { path: string; stat: Stats }[],
  ) {
    this.inputs = inputs;
    // Short and fixed-length whatever the output's name, so it never exceeds NAME_MAX; hidden, and
    // created exclusively, so it can never replace an existing file (the input included).
    this.temp = join(dirname(resolve(path)), `.production-ensemble-${process.pid}-${randomBytes(4).toString('hex')}.partial`);
  }

  /**
   * Checks that `output` can be written and does not alias any of `inputs`, and creates the
   * temporary file. Throws `ERR_OUTPUT_FILE` before any work otherwise. `signals`: also clean up
   * (and exit) on SIGINT / SIGTERM / SIGHUP, as the command does.
   */
  static create(output: string, inputs: readonly string[], signals = true): OutputFile {
    const fail = (why: string) => new OutputFileError(`cannot write ${output}: ${why}`);
    const name = basename(resolve(output));
    if (output.endsWith('/') || name === '') throw fail('it names a directory, not a file');
    if (Buffer.byteLength(name) > NAME_MAX) throw fail(`the file name is ${Buffer.byteLength(name)} bytes long, over the limit of ${NAME_MAX}`);
    const dir = dirname(resolve(output));
    const dirStat = statOrUndefined(dir);
    if (!dirStat) throw fail(`directory ${dir} does not exist`);
    if (!dirStat.isDirectory()) throw fail(`${dir} is not a directory`);
    const out = new OutputFile(
      output,
      inputs.map((p) => ({ path: p, stat: statSync(p) })),
    );
    out.checkTarget();
    try {
      closeSync(openSync(out.temp, 'wx', 0o666));
    } catch (e) {
      throw out.error(e, `cannot create a file in ${dir}`);
    }
    track(out, signals);
    return out;
  }

  /**
   * A private directory beside the output for a writer's scratch files, removed with the temporary
   * file. A directory, not files: a library that writes again after the removal (DuckDB's
   * write-ahead log, at exit) then fails instead of leaving a file behind.
   */
  scratchDirectory(): string {
    const dir = `${this.temp}.d`;
    try {
      mkdirSync(dir, { mode: 0o700 });
    } catch (e) {
      throw this.error(e, `cannot create a directory in ${dirname(dir)}`);
    }
    this.extras.push(dir);
    return dir;
  }

  /** Runs `close` (a writer releasing its files) before the temporary files are removed. */
  onDiscard(close: () => void): void {
    this.closers.push(close);
  }

  /** The output error for `e` (a Node error code becomes a plain reason); coded errors pass. */
  error(e: unknown, doing?: string): Error {
    if (e instanceof EnsembleError) return e;
    const err = e as NodeJS.ErrnoException;
    const reason = (err.code && REASONS[err.code]) ?? (err.message ?? String(e)).split('\n')[0];
    return new OutputFileError(`cannot write ${this.path}: ${doing ? `${doing}: ` : ''}${reason}${err.code ? ` (${err.code})` : ''}`);
  }

  /** Moves the complete file (the temporary file, or one in the scratch directory) to the output path. */
  commit(finished = this.temp): void {
    try {
      this.checkTarget();
      renameSync(finished, this.path);
    } catch (e) {
      this.discard();
      throw this.error(e, 'cannot move the finished file into place');
    }
    this.pending = false;
    rmSync(this.temp, { force: true });
    this.removeExtras();
    untrack(this);
  }

  /** Removes every temporary file; the output path is left as it was. */
  discard(): void {
    if (!this.pending) return;
    this.pending = false;
    // A writer still holding a scratch database would write it again after its removal.
    for (const close of this.closers) {
      try {
        close();
      } catch {
        // the files go anyway
      }
    }
    rmSync(this.temp, { force: true });
    this.removeExtras();
    untrack(this);
  }

  /** The target must not be an input (any path to it) nor anything but a regular file. */
  private checkTarget(): void {
    let link: Stats | undefined;
    try {
      link = lstatSync(this.path);
    } catch {
      return; // does not exist: it cannot be an input
    }
    const target = statOrUndefined(this.path);
    const input = target && this.inputs.find((i) => sameFile(i.stat, target));
    if (input) {
      const how = link.isSymbolicLink()
        ? 'a symbolic link to the input'
        : resolve(input.path) === resolve(this.path)
          ? 'the input'
          : `the input ${input.path} (the same file by another path or a hard link)`;
      throw new OutputFileError(`cannot write ${this.path}: it is ${how}, which the output would overwrite`);
    }
    if (target?.isDirectory()) throw new OutputFileError(`cannot write ${this.path}: it is a directory`);
    if (target && !target.isFile()) {
      throw new OutputFileError(`cannot write ${this.path}: it exists and is not a regular file (a device, pipe or socket)`);
    }
    // The rename would replace a read-only file too: a file its owner protected is left alone.
    try {
      if (target) accessSync(this.path, constants.W_OK);
    } catch {
      throw new OutputFileError(`cannot write ${this.path}: permission denied (the file is read-only)`);
    }
  }

  private removeExtras(): void {
    for (const p of this.extras) rmSync(p, { recursive: true, force: true, maxRetries: 3 });
  }
}

/** Something under construction that a signal or the process's exit must clean up. */
export interface Discardable {
  discard(): void;
  /** What the interruption message says was done (default: no output written). */
  readonly interruptNote?: string;
}

// Outputs in progress, and the handlers that clean them up on a signal or an exit. Only the
// command installs signal handlers (a library must not exit its host process on Ctrl-C).
const live = new Set<Discardable>();
const signalled = new Set<Discardable>();
const onSignal = (signal: NodeJS.Signals) => {
  const note = [...signalled].find((o) => o.interruptNote)?.interruptNote ?? 'no output written';
  for (const o of [...live]) o.discard();
  process.stderr.write(`\nproduction-ensemble: interrupted (${signal}); ${note}\n`);
  process.exit(128 + (osConstants.signals[signal] ?? 0));
};
const onExit = () => {
  for (const o of [...live]) o.discard();
};

/** Cleans `o` up on exit, and with `signals` on SIGINT / SIGTERM / SIGHUP (then exits 128 + n). */
export function track(o: Discardable, signals = true): void {
  if (live.size === 0) process.on('exit', onExit);
  if (signals && signalled.size === 0) for (const s of SIGNALS) process.on(s, onSignal);
  live.add(o);
  if (signals) signalled.add(o);
}

/** Stops cleaning `o` up (it was committed or discarded). */
export function untrack(o: Discardable): void {
  live.delete(o);
  if (signalled.delete(o) && signalled.size === 0) for (const s of SIGNALS) process.off(s, onSignal);
  if (live.size === 0) process.off('exit', onExit);
}
