/**
 * Watch mode: follows a model directory, or a store's `current` pointer, and asks for a reload
 * once a change has settled and the new files match their checksums, so that a directory still
 * being copied is never loaded. fs.watch gives the changes; a poll backs it up.
 */
import { type FSWatcher, readdirSync, statSync, watch } from 'node:fs';
import { join } from 'node:path';
import type { Binding } from './binding.js';
import type { WatchOptions } from './ensemble-types.js';
import { createError } from './errors.js';
import { type ResolvedSource, resolveSource } from './model-store.js';

/** What the watcher drives: the ensemble's serialised reload and its failure report. */
export interface WatchTarget {
  /** The model directory or store followed. */
  readonly path: string;
  /** Loads `source` and swaps it in (or reports why not); settles when done, never rejects. */
  reload(source: ResolvedSource): Promise<void>;
  /** A version whose files still do not match their checksums once settled: a failed reload. */
  incomplete(dir: string, error: Error): void;
}

const DEFAULT_DEBOUNCE_MS = 250;
const DEFAULT_POLL_MS = 2000;

function positive(v: number | undefined, name: string, fallback: number): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new RangeError(`watch.${name} must be a number of milliseconds >= 0, got ${String(v)}`);
  return v;
}

/** What a directory looks like now: its files' names, sizes and times (and a store's pointer). */
function signature(path: string): { source: ResolvedSource; sig: string } {
  const source = resolveSource(path);
  const parts = [source.version ?? ''];
  for (const f of readdirSync(source.dir, { withFileTypes: true })) {
    if (!f.isFile() && !f.isSymbolicLink()) continue;
    try {
      const st = statSync(join(source.dir, f.name));
      parts.push(`${f.name}:${st.size}:${st.mtimeMs}:${st.ino}`);
    } catch {
      parts.push(`${f.name}:gone`);
    }
  }
  return { source, sig: parts.sort().join('|') };
}

/**
 * Follows `target.path`. A change (an fs.watch event, or a poll that finds another signature)
 * waits `debounceMs` of quiet, then the resolved directory's files are checked against their
 * checksums (no model parsed): complete, it is reloaded; not yet, it is checked again after
 * `pollMs`, and reported as a failed reload if it is still incomplete and unchanged then.
 * A version whose metadata declares no checksums is reloaded once it has stayed unchanged for
 * `pollMs`.
 */
export class Watcher {
  readonly #target: WatchTarget;
  readonly #check: (dir: string) => Promise<Binding.FilesReport>;
  readonly #debounceMs: number;
  readonly #pollMs: number;
  readonly #poll: NodeJS.Timeout;
  #timer: NodeJS.Timeout | undefined;
  #watchers = new Map<string, FSWatcher>();
  /** The signature last acted on (reloaded, or reported): nothing happens until it changes. */
  #done: string | undefined;
  /** The signature of a check that failed, waiting `pollMs` unchanged to settle, and since when. */
  #pending: string | undefined;
  #pendingAt = 0;
  #busy = false;
  #again = false;
  #closed = false;

  constructor(target: WatchTarget, options: WatchOptions | true, check: (dir: string) => Promise<Binding.FilesReport>) {
    const o = options === true ? {} : options;
    this.#target = target;
    this.#check = check;
    this.#debounceMs = positive(o.debounceMs, 'debounceMs', DEFAULT_DEBOUNCE_MS);
    this.#pollMs = positive(o.pollMs, 'pollMs', DEFAULT_POLL_MS);
    try {
      const { source, sig } = signature(target.path);
      this.#done = sig;
      this.#arm(source);
    } catch {
      // Unreadable now: the first poll that can read it acts on it.
    }
    // Timers and watches never keep the process alive on their own.
    this.#poll = setInterval(() => this.#onPoll(), Math.max(this.#pollMs, 10)).unref();
  }

  /** Takes the directory as it is now as acted on (after a reload made by hand). */
  resync(): void {
    try {
      const { source, sig } = signature(this.#target.path);
      this.#done = sig;
      this.#pending = undefined;
      this.#arm(source);
    } catch {
      // unreadable now: the poll acts on it later
    }
  }

  /** Stops watching; a reload already running finishes. */
  close(): void {
    this.#closed = true;
    clearInterval(this.#poll);
    if (this.#timer) clearTimeout(this.#timer);
    for (const w of this.#watchers.values()) w.close();
    this.#watchers.clear();
  }

  // fs.watch on the followed path (a store's pointer renames) and on the directory it resolves
  // to; a directory no longer followed is unwatched. Where fs.watch fails, the poll remains.
  #arm(source: ResolvedSource): void {
    const wanted = new Set([this.#target.path, source.dir]);
    for (const [dir, w] of this.#watchers) {
      if (!wanted.has(dir)) {
        w.close();
        this.#watchers.delete(dir);
      }
    }
    for (const dir of wanted) {
      if (this.#watchers.has(dir)) continue;
      try {
        const w = watch(dir, { persistent: false }, () => this.#schedule(this.#debounceMs));
        w.on('error', () => {
          w.close();
          this.#watchers.delete(dir);
        });
        this.#watchers.set(dir, w);
      } catch {
        // e.g. no inotify watches left: the poll sees the change instead
      }
    }
  }

  #onPoll(): void {
    if (this.#busy || this.#timer !== undefined) return;
    let sig: string;
    try {
      sig = signature(this.#target.path).sig;
    } catch (e) {
      sig = `error:${(e as Error).message}`;
    }
    if (sig === this.#done) return;
    if (sig !== this.#pending) this.#schedule(this.#debounceMs);
    else if (this.#settled(sig)) this.#schedule(0);
  }

  #settled(sig: string): boolean {
    return sig === this.#pending && Date.now() - this.#pendingAt >= this.#pollMs;
  }

  #wait(sig: string): void {
    if (sig === this.#pending) return;
    this.#pending = sig;
    this.#pendingAt = Date.now();
  }

  #schedule(ms: number): void {
    if (this.#closed) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#attempt();
    }, ms).unref();
  }

  async #attempt(): Promise<void> {
    if (this.#closed) return;
    if (this.#busy) {
      this.#again = true;
      return;
    }
    this.#busy = true;
    try {
      await this.#step();
    } finally {
      this.#busy = false;
      if (this.#again && !this.#closed) {
        this.#again = false;
        this.#schedule(this.#debounceMs);
      }
    }
  }

  async #step(): Promise<void> {
    let now: { source: ResolvedSource; sig: string };
    try {
      now = signature(this.#target.path);
    } catch (e) {
      // A store whose current names no version, a directory gone: reported once it settles.
      const sig = `error:${(e as Error).message}`;
      if (sig === this.#done) return;
      if (!this.#settled(sig)) {
        this.#wait(sig);
        return;
      }
      this.#done = sig;
      this.#target.incomplete(this.#target.path, e as Error);
      return;
    }
    if (now.sig === this.#done) return;
    this.#arm(now.source);
    const report = await this.#check(now.source.dir);
    if (this.#closed) return;
    let after: string;
    try {
      after = signature(this.#target.path).sig;
    } catch {
      after = '';
    }
    if (after !== now.sig) {
      this.#again = true; // it changed while being checked: not settled
      return;
    }
    const settled = this.#settled(now.sig);
    if (!report.ok || (report.unverified.length > 0 && !settled)) {
      if (!settled) {
        this.#wait(now.sig);
        return; // the poll checks it again once it has stayed so for pollMs
      }
      this.#done = now.sig;
      const p = report.problems[0];
      this.#target.incomplete(now.source.dir, p ? createError(p.code, p.message) : new Error(`${now.source.dir} is incomplete`));
      return;
    }
    this.#done = now.sig;
    this.#pending = undefined;
    await this.#target.reload(now.source);
  }
}
