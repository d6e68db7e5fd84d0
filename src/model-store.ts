/**
 * The model store: model versions side by side in one directory, the one serving named by a
 * `current` pointer that is replaced atomically (docs/serving.md#the-model-store). A path given to
 * `load` is resolved here: a store's `current`, or a plain model directory as it always was.
 */
import { closeSync, copyFileSync, existsSync, fsyncSync, lstatSync, mkdirSync, openSync, readFileSync, readdirSync, readlinkSync, renameSync, rmSync, statSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { type Binding, binding } from './binding.js';
import { ModelStoreError } from './errors.js';
import { type ModelLoadOptions, nativeOptions } from './load-options.js';

/** The pointer to the version in force, and to the one before it (what `rollback` returns to). */
export const CURRENT = 'current';
export const PREVIOUS = 'previous';
const METADATA_FILES = ['production_model_metadata.json', 'model_metadata.json'];
// Plain names only: a version is a directory of the store, never a path out of it.
const VERSION_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const RESERVED = new Set([CURRENT, PREVIOUS]);

/** Where a path given to `load` or `reload` leads. */
export interface ResolvedSource {
  /** The model directory to load. */
  readonly dir: string;
  /** The store, when `path` is one (then `dir` is the version `current` names). */
  readonly store?: string;
  /** The version name, when loaded through a store. */
  readonly version?: string;
}

/**
 * One version of a store, as `versions()` lists it.
 * @example
 * for (const v of await store.versions()) console.log(v.name, v.current ? '(current)' : '', v.complete);
 */
export interface StoreVersion {
  name: string;
  directory: string;
  /** The metadata's `created_at`, when it has one. */
  createdAt?: string;
  /** `current` names it. */
  current: boolean;
  /** `previous` names it (`rollback` would make it current). */
  previous: boolean;
  /** Its metadata reads and every model file matches the metadata's sha256 (no model parsed). */
  complete: boolean;
  /** What makes it incomplete, one message per problem. */
  problems: string[];
}

/** What `promote` and `rollback` leave in force. */
export interface PromoteResult {
  current: string;
  previous: string | undefined;
}

function checkName(store: string, version: unknown): string {
  if (typeof version !== 'string' || !VERSION_NAME.test(version) || RESERVED.has(version)) {
    throw new ModelStoreError(
      `${store}: '${String(version)}' is not a version name (letters, digits, '.', '_', '-', at most 128, not starting with ` +
        `'.', '-' or '_', and not '${CURRENT}' or '${PREVIOUS}')`,
    );
  }
  return version;
}

function hasMetadata(dir: string): boolean {
  return METADATA_FILES.some((f) => existsSync(join(dir, f)));
}

function isLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

/**
 * True when `path` is a store: a directory with a `current` pointer and no metadata file of its
 * own (a model directory stays a model directory, whatever else it holds).
 */
export function isStore(path: string): boolean {
  return isLink(join(path, CURRENT)) && !hasMetadata(path);
}

/** The version a pointer of `store` names, undefined when there is no such pointer. */
function pointer(store: string, name: string): string | undefined {
  const link = join(store, name);
  if (!isLink(link)) return undefined;
  const target = readlinkSync(link);
  // Written by promote as a bare name; anything else was made by hand and could lead anywhere.
  if (!VERSION_NAME.test(target) || RESERVED.has(target)) {
    throw new ModelStoreError(`${store}: '${name}' points to '${target}', which is not a version name of the store`);
  }
  return target;
}

/**
 * Resolves what `load(path)` should load: a store's current version (read once, so that a
 * promote during the load cannot mix two versions' files), or `path` itself.
 */
export function resolveSource(path: string): ResolvedSource {
  if (typeof path !== 'string') return { dir: path };
  if (!isStore(path)) {
    // A version directory of a store, loaded by its path, still goes by its name.
    const parent = dirname(path);
    const name = basename(path);
    if (VERSION_NAME.test(name) && !RESERVED.has(name) && parent !== path && isStore(parent)) return { dir: path, store: parent, version: name };
    return { dir: path };
  }
  const version = pointer(path, CURRENT) as string;
  const dir = join(path, version);
  if (!existsSync(dir)) throw new ModelStoreError(`${path}: '${CURRENT}' names version '${version}', which does not exist`);
  return { dir, store: path, version };
}

// Writes `store/name -> version` by renaming a new link over the old one: a reader sees the old
// pointer or the new one, never none. The directory is synced so the switch survives a crash.
function writePointer(store: string, name: string, version: string): void {
  const tmp = join(store, `.tmp-${name}-${process.pid}-${Date.now().toString(36)}`);
  symlinkSync(version, tmp);
  try {
    renameSync(tmp, join(store, name));
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new ModelStoreError(`${store}: cannot replace '${name}': ${(e as Error).message}`);
  }
  const fd = openSync(store, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

// One promote / rollback / publish at a time per store: the two pointers are written one after
// the other, and two writers interleaving would leave `previous` naming the wrong version. A lock
// left by a process that died is taken over.
async function withLock<T>(store: string, what: string, fn: () => Promise<T>): Promise<T> {
  if (!existsSync(store)) throw new ModelStoreError(`${store}: the model store does not exist`);
  const lock = join(store, '.lock');
  for (let attempt = 0; ; attempt++) {
    try {
      writeFileSync(lock, String(process.pid), { flag: 'wx' });
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) {
        throw new ModelStoreError(`${store}: cannot ${what}: ${(e as Error).message}`);
      }
      const pid = Number(readFileSync(lock, 'utf8'));
      if (Number.isInteger(pid) && pid > 0 && processAlive(pid)) {
        throw new ModelStoreError(`${store}: cannot ${what}: process ${pid} is changing the store (${lock})`);
      }
      unlinkSync(lock);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { force: true });
  }
}

function problemsOf(r: Binding.FilesReport): string[] {
  const out = r.problems.map((p) => p.message);
  if (r.metadataFile !== undefined && r.unverified.length > 0) {
    out.push(`${r.metadataFile} declares no sha256 for ${r.unverified.join(', ')}: a store's versions need every checksum`);
  }
  return out;
}

/**
 * A model store: `<store>/<version>/` complete model directories, `<store>/current` naming the
 * one in force and `<store>/previous` the one before it, both symlinks replaced atomically.
 * `ProductionEnsemble.load(store)` loads `current`; `reload()` (or `watch: true`) follows it.
 * @example
 * const store = new ModelStore('models');
 * await store.publish('/tmp/retrained', 'v2');   // copied in, checked, renamed into place
 * await store.promote('v2');                     // current -> v2, previous -> v1
 * await store.rollback();                        // current -> v1 again
 */
export class ModelStore {
  /** The store's directory. */
  readonly path: string;
  readonly #options: ModelLoadOptions | undefined;

  /** `options`: where LightGBM / XGBoost are found when `promote` loads a version to check it. */
  constructor(path: string, options?: ModelLoadOptions) {
    if (typeof path !== 'string' || path === '') throw new TypeError('a model store is a directory path');
    this.path = path;
    this.#options = options;
  }

  /** The version `current` names, undefined in a store without one yet. */
  current(): string | undefined {
    return pointer(this.path, CURRENT);
  }

  /** The version `previous` names (what `rollback` makes current), if any. */
  previous(): string | undefined {
    return pointer(this.path, PREVIOUS);
  }

  /** The directory of `version`; `ModelStoreError` when there is no such version. */
  directory(version: string): string {
    const name = checkName(this.path, version);
    const dir = join(this.path, name);
    if (!existsSync(dir) || !statSync(dir).isDirectory()) {
      throw new ModelStoreError(`${this.path}: no version '${name}' (versions: ${this.#names().join(', ') || 'none'})`);
    }
    return dir;
  }

  #names(): string[] {
    if (!existsSync(this.path)) throw new ModelStoreError(`${this.path}: the model store does not exist`);
    return readdirSync(this.path, { withFileTypes: true })
      .filter((d) => d.isDirectory() && VERSION_NAME.test(d.name) && !RESERVED.has(d.name))
      .map((d) => d.name)
      .sort();
  }

  /** Every version, each checked against its checksums (no model is parsed); sorted by name. */
  async versions(): Promise<StoreVersion[]> {
    const names = this.#names();
    const current = this.current();
    const previous = this.previous();
    const out: StoreVersion[] = [];
    for (const name of names) {
      const directory = join(this.path, name);
      const r = await this.#check(directory);
      const problems = problemsOf(r);
      const v: StoreVersion = { name, directory, current: name === current, previous: name === previous, complete: problems.length === 0, problems };
      if (r.createdAt !== undefined) v.createdAt = r.createdAt;
      out.push(v);
    }
    return out;
  }

  #check(dir: string): Promise<Binding.FilesReport> {
    return binding().addon.checkModelFiles(dir, nativeOptions({ ...this.#options, threads: 1 }), true);
  }

  /**
   * Copies the model directory `source` into the store as `version`: written under a temporary
   * name, checked against its checksums, then renamed into place, so a watcher never sees half
   * of it. `promote: true` then makes it current.
   */
  async publish(source: string, version: string, options: { promote?: boolean } = {}): Promise<StoreVersion> {
    const name = checkName(this.path, version);
    if (!existsSync(this.path)) mkdirSync(this.path, { recursive: true });
    await withLock(this.path, `publish '${name}'`, async () => {
      const dest = join(this.path, name);
      if (existsSync(dest)) throw new ModelStoreError(`${this.path}: version '${name}' already exists (a version is never rewritten: publish another name)`);
      if (!existsSync(source) || !statSync(source).isDirectory()) throw new ModelStoreError(`${this.path}: cannot publish ${source}: not a directory`);
      const tmp = join(this.path, `.tmp-${name}-${process.pid}-${Date.now().toString(36)}`);
      mkdirSync(tmp);
      try {
        // A model directory is flat: its regular files (or links to them) are the version.
        for (const f of readdirSync(source, { withFileTypes: true })) {
          const from = join(source, f.name);
          if (f.isFile() || (f.isSymbolicLink() && statSync(from).isFile())) copyFileSync(from, join(tmp, f.name));
        }
        const problems = problemsOf(await this.#check(tmp));
        if (problems.length > 0) {
          throw new ModelStoreError(`${this.path}: cannot publish ${source} as '${name}': ${problems.join('; ').replaceAll(tmp, source)}`);
        }
        renameSync(tmp, dest);
      } catch (e) {
        if (e instanceof ModelStoreError) throw e;
        throw new ModelStoreError(`${this.path}: cannot publish ${source} as '${name}': ${(e as Error).message}`);
      } finally {
        rmSync(tmp, { recursive: true, force: true });
      }
    });
    if (options.promote) await this.promote(name);
    return (await this.versions()).find((v) => v.name === name) as StoreVersion;
  }

  /**
   * Makes `version` current, after checking it loads (every file against its checksum, every
   * model parsed, the ensemble built) and, unless `force`, that its feature names are those of
   * the version it replaces (a serving process refuses to reload other features). The old
   * current becomes `previous`.
   */
  promote(version: string, options: { force?: boolean } = {}): Promise<PromoteResult> {
    return withLock(this.path, `promote '${version}'`, () => this.#promote(version, options.force === true));
  }

  /** Makes `previous` current again (and the version it replaces `previous`: two rollbacks undo each other). */
  rollback(): Promise<PromoteResult> {
    return withLock(this.path, 'roll back', async () => {
      const previous = this.previous();
      if (previous === undefined) throw new ModelStoreError(`${this.path}: nothing to roll back to (no previous version recorded)`);
      return this.#promote(previous, true);
    });
  }

  async #promote(version: string, force: boolean): Promise<PromoteResult> {
    const dir = this.directory(version);
    const files = await this.#check(dir);
    const problems = problemsOf(files);
    if (problems.length > 0) throw new ModelStoreError(`${this.path}: cannot promote '${version}': ${problems.join('; ')}`);
    const report = await binding().addon.validateModelDirectory(dir, nativeOptions({ ...this.#options, threads: 1 }), true);
    if (!report.ok) throw new ModelStoreError(`${this.path}: cannot promote '${version}': ${report.problems.map((p) => p.message).join('; ')}`);
    const current = this.current();
    if (!force && current !== undefined && current !== version && existsSync(join(this.path, current))) {
      const now = await this.#check(join(this.path, current));
      if (now.featureNames.join('\0') !== files.featureNames.join('\0')) {
        throw new ModelStoreError(
          `${this.path}: '${version}' has features [${files.featureNames.join(', ')}], '${current}' [${now.featureNames.join(', ')}]: ` +
            'a serving process would refuse to reload it (use --force / { force: true } to promote it anyway)',
        );
      }
    }
    if (current === version) return { current, previous: this.previous() };
    if (current !== undefined) writePointer(this.path, PREVIOUS, current);
    writePointer(this.path, CURRENT, version);
    return { current: version, previous: current };
  }
}
