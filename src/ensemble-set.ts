/**
 * EnsembleSet: a champion and its challengers side by side. The champion's P(up) is the answer
 * (a challenger's for the keys a canary routes to it); the other versions score the same rows in
 * shadow, by default after the answer is returned, and every version keeps running statistics
 * (docs/serving.md#champion-and-challengers).
 */
import { CanaryRouter } from './canary.js';
import type { EnsembleLoadOptions } from './ensemble-types.js';
import { ProductionEnsemble } from './ensemble.js';
import { ClosedError, FeatureMismatchError } from './errors.js';
import type { FeatureName } from './features.js';
import { PendingOutcomes, VersionTally, type VersionStats } from './set-stats.js';
import { ShadowQueue } from './shadow-queue.js';
import { type ShadowMember, ShadowWork } from './set-shadow.js';
import { type MatrixInput, type RowInput, toMatrix, toRow } from './validate.js';

/** A version of the set: a loaded ensemble and the name its statistics go by (default: its version). */
export interface SetMember<Name extends string = FeatureName> {
  name?: string;
  model: ProductionEnsemble<Name>;
}

/**
 * Options of an {@link EnsembleSet}.
 * @example
 * new EnsembleSet(champion, [challenger], { shadow: 'deferred', canary: { v4: 0.05 } });
 */
export interface EnsembleSetOptions {
  /**
   * How the versions that did not answer score the rows: `'deferred'` (default) copies them and
   * scores them after the answer is returned, one batch per version at a time on the libuv pool;
   * `'inline'` scores them in the same call (the answer waits for them); `'off'` does not.
   */
  shadow?: 'deferred' | 'inline' | 'off';
  /** Share of keys (in [0, 1], by FNV-1a of the key) each challenger answers, by member name. */
  canary?: Readonly<Record<string, number>>;
  /** Rows waiting for deferred shadow scoring; more are dropped and counted (default 65,536). */
  maxShadowRows?: number;
  /** Outcome ids awaited; past that the oldest is dropped and counted (default 100,000). */
  maxPendingOutcomes?: number;
  /** Close the members with the set (default: false; true for `EnsembleSet.load`). */
  ownsMembers?: boolean;
}

/** Per-call options: the canary key and the outcome id of the row(s). */
export interface SetCallOptions {
  /** Routes the row to a canary challenger (same key, same version, in every process). */
  key?: string | number;
  /** Its outcome will be reported with `recordOutcome(id, label)`. */
  id?: string | number;
}

/** Per-call options of a batch: a key and an id per row. */
export interface SetBatchOptions {
  keys?: readonly (string | number)[];
  ids?: readonly (string | number)[];
}

/** A batch's answers: P(up), the label at the answering version's threshold, and which version answered each row. */
export interface SetBatchResult {
  p: Float64Array;
  labels: Uint8Array;
  /** Index into `members` of the version that answered each row. */
  served: Uint8Array;
  members: readonly string[];
  /** The version serving in each member when the batch was scored. */
  versions: readonly (string | undefined)[];
}

/** What {@link EnsembleSet.stats} reports. */
export interface SetStats {
  champion: string;
  shadow: 'deferred' | 'inline' | 'off';
  members: VersionStats[];
  /** Deferred shadow rows waiting and dropped (the queue was full); outcome ids awaited, evicted, unmatched. */
  queuedShadowRows: number;
  droppedShadowRows: number;
  pendingOutcomes: number;
  evictedOutcomes: number;
  unmatchedOutcomes: number;
}

interface Member<Name extends string> extends ShadowMember {
  readonly name: string;
  readonly model: ProductionEnsemble<Name>;
}

function asMember<Name extends string>(m: SetMember<Name> | ProductionEnsemble<Name>): SetMember<Name> {
  return m instanceof ProductionEnsemble ? { model: m } : m;
}

/**
 * A champion and challengers over the same features. The champion's P(up) is what every call
 * returns, except for the keys a canary routes to a challenger; the other versions score the same
 * rows in shadow and every version keeps running statistics (`stats()`), including accuracy and
 * log loss once outcomes are reported (`recordOutcome`).
 * @example
 * const set = await EnsembleSet.load({ champion: 'models/v3', challengers: ['models/v4'] }, { canary: { v4: 0.05 } });
 * const p = set.predictOne(row, { key: 'BTCUSDT', id: orderId });
 * // later: set.recordOutcome(orderId, wentUp ? 1 : 0); console.table(set.stats().members);
 */
export class EnsembleSet<Name extends string = FeatureName> {
  readonly #members: Member<Name>[];
  readonly #names: readonly string[];
  readonly #router: CanaryRouter | undefined;
  readonly #routes: number[];
  readonly #shadow: 'deferred' | 'inline' | 'off';
  readonly #queue: ShadowQueue;
  readonly #outcomes: PendingOutcomes;
  readonly #work: ShadowWork;
  readonly #owns: boolean;
  readonly #scratch: Float64Array;
  readonly #one = new Float64Array(1);
  #closed = false;

  /** The champion first, then the challengers (ensembles, or `{ name, model }`). */
  constructor(
    champion: SetMember<Name> | ProductionEnsemble<Name>,
    challengers: readonly (SetMember<Name> | ProductionEnsemble<Name>)[] = [],
    options: EnsembleSetOptions = {},
  ) {
    const all = [asMember(champion), ...challengers.map(asMember)];
    if (all.length > 255) throw new RangeError('an ensemble set holds at most 255 versions');
    this.#members = all.map((m, i) => {
      if (!(m.model instanceof ProductionEnsemble)) throw new TypeError(`member ${i}: model must be a ProductionEnsemble`);
      const name = m.name ?? m.model.version ?? `member${i}`;
      return { name, model: m.model, tally: new VersionTally() };
    });
    this.#names = Object.freeze(this.#members.map((m) => m.name));
    const dup = this.#names.find((n, i) => this.#names.indexOf(n) !== i);
    if (dup !== undefined) throw new TypeError(`two members of the set are named '${dup}': give them names ({ name, model })`);
    const features = this.#members[0]?.model.featureNames as readonly string[];
    for (const m of this.#members) {
      if (m.model.featureNames.join('\0') !== features.join('\0')) {
        throw new FeatureMismatchError(`the set's versions must have the same features: '${m.name}' has [${m.model.featureNames.join(', ')}], the champion [${features.join(', ')}]`);
      }
    }
    const canary = options.canary ?? {};
    this.#routes = [];
    const shares: number[] = [];
    for (const [name, share] of Object.entries(canary)) {
      const i = this.#names.indexOf(name);
      if (i <= 0) throw new TypeError(`canary: '${name}' is not a challenger of the set (challengers: ${this.#names.slice(1).join(', ') || 'none'})`);
      this.#routes.push(i);
      shares.push(share);
    }
    this.#router = shares.length > 0 ? new CanaryRouter(shares) : undefined;
    this.#shadow = options.shadow ?? 'deferred';
    if (!['deferred', 'inline', 'off'].includes(this.#shadow)) throw new TypeError(`shadow must be 'deferred', 'inline' or 'off', got ${String(this.#shadow)}`);
    const bound = (v: number | undefined, name: string, fallback: number) => {
      if (v === undefined) return fallback;
      if (!Number.isInteger(v) || v < 1) throw new RangeError(`${name} must be a positive integer, got ${String(v)}`);
      return v;
    };
    this.#queue = new ShadowQueue(features.length, bound(options.maxShadowRows, 'maxShadowRows', 65_536));
    this.#outcomes = new PendingOutcomes(this.#members.length, bound(options.maxPendingOutcomes, 'maxPendingOutcomes', 100_000), (m, p, label) => {
      const member = this.#members[m] as Member<Name>;
      member.tally.outcome(p, member.model.threshold, label);
    });
    this.#owns = options.ownsMembers ?? false;
    this.#scratch = new Float64Array(features.length);
    this.#work = new ShadowWork(this.#members, this.#shadow, this.#queue, this.#outcomes);
  }

  /**
   * Loads the versions (model directories, stores or store versions, as `ProductionEnsemble.load`
   * takes them) and builds the set, which closes them with itself.
   * @example
   * await EnsembleSet.load({ champion: 'models', challengers: [{ name: 'v4', path: 'models/v4' }] });
   */
  static async load<Name extends string = FeatureName>(
    spec: { champion: string | { name?: string; path: string }; challengers?: readonly (string | { name?: string; path: string })[] },
    options: EnsembleSetOptions & { load?: EnsembleLoadOptions } = {},
  ): Promise<EnsembleSet<Name>> {
    const specs = [spec.champion, ...(spec.challengers ?? [])].map((s) => (typeof s === 'string' ? { path: s } : s));
    const loaded = await Promise.allSettled(specs.map((s) => ProductionEnsemble.load<Name>(s.path, options.load)));
    const models = loaded.map((r) => (r.status === 'fulfilled' ? r.value : undefined));
    const failed = loaded.find((r) => r.status === 'rejected');
    try {
      if (failed) throw (failed as PromiseRejectedResult).reason;
      const members = specs.map((s, i) => ({ ...(s.name !== undefined ? { name: s.name } : {}), model: models[i] as ProductionEnsemble<Name> }));
      return new EnsembleSet<Name>(members[0] as SetMember<Name>, members.slice(1), { ownsMembers: true, ...options });
    } catch (e) {
      for (const m of models) m?.close();
      throw e;
    }
  }

  /** The members' names, the champion first. */
  get members(): readonly string[] {
    return this.#names;
  }

  /** The champion's name. */
  get champion(): string {
    return this.#names[0] as string;
  }

  /** The member behind `name` (to reload it, read its info...). */
  model(name: string): ProductionEnsemble<Name> {
    const i = this.#names.indexOf(name);
    if (i < 0) throw new TypeError(`no member '${name}' in the set (members: ${this.#names.join(', ')})`);
    return (this.#members[i] as Member<Name>).model;
  }

  /** The member that answers `key` (canary routing; the champion without a key). */
  route(key?: string | number): string {
    return this.#names[this.#route(key)] as string;
  }

  #route(key: string | number | undefined): number {
    if (key === undefined || this.#router === undefined) return 0;
    const i = this.#router.route(key);
    return i < 0 ? 0 : (this.#routes[i] as number);
  }

  /**
   * P(up) of one row from the version that answers it; the others score it in shadow. Deferred
   * shadow adds a copy of the row to the answer's cost, nothing more (docs/serving.md).
   */
  predictOne(row: RowInput<Name>, options?: SetCallOptions): number {
    if (this.#closed) throw new ClosedError('EnsembleSet is closed');
    const served = this.#route(options?.key);
    const m = this.#members[served] as Member<Name>;
    const t = performance.now();
    let p: number;
    try {
      p = m.model.predictOne(row);
    } catch (e) {
      m.tally.error(e);
      throw e;
    }
    m.tally.served(1, performance.now() - t);
    m.tally.score(p);
    const id = options?.id;
    if (id !== undefined) {
      this.#outcomes.open(id, this.#shadow === 'off' ? 1 : this.#members.length);
      this.#outcomes.score(id, served, p);
    }
    if (this.#shadow !== 'off' && this.#members.length > 1) {
      const names = m.model.featureNames as readonly string[];
      const values = row instanceof Float64Array || row instanceof Float32Array ? row : toRow(row as RowInput<string>, names.length, names, this.#scratch);
      this.#one[0] = p;
      this.#work.add(values, 1, served, this.#one, id);
    }
    return p;
  }

  /** P(up) per row (canary keys route rows to challengers); the other versions score them in shadow. */
  predictProba(x: MatrixInput<Name>, options?: SetBatchOptions): Float64Array {
    return this.score(x, options).p;
  }

  /** `predictProba` on the libuv pool; deferred shadow work starts after the answer. */
  async predictProbaAsync(x: MatrixInput<Name>, options?: SetBatchOptions): Promise<Float64Array> {
    return (await this.scoreAsync(x, options)).p;
  }

  /** The batch's answers with, per row, the version that gave it and its label. */
  score(x: MatrixInput<Name>, options?: SetBatchOptions): SetBatchResult {
    const plan = this.#plan(x, options, false);
    for (const [member, rows] of plan.groups) this.#answer(plan, member, rows, this.#serve(member, plan, rows, false) as Float64Array);
    return this.#finish(plan, options);
  }

  /** `score` on the libuv pool. */
  async scoreAsync(x: MatrixInput<Name>, options?: SetBatchOptions): Promise<SetBatchResult> {
    const plan = this.#plan(x, options, true);
    const parts = await Promise.all([...plan.groups].map(async ([member, rows]) => [member, rows, await this.#serve(member, plan, rows, true)] as const));
    for (const [member, rows, p] of parts) this.#answer(plan, member, rows, p);
    return this.#finish(plan, options);
  }

  #plan(x: MatrixInput<Name>, options: SetBatchOptions | undefined, async: boolean) {
    if (this.#closed) throw new ClosedError('EnsembleSet is closed');
    const champion = (this.#members[0] as Member<Name>).model;
    const m = toMatrix(x as MatrixInput<string>, champion.nFeatures, champion.featureNames as readonly string[]);
    // An async call's shadow rows are queued after its answer: copied now, since the caller may
    // reuse its buffer as soon as the call returns.
    const data = async && this.#shadow !== 'off' && m.data === x ? m.data.slice() : m.data;
    const keys = options?.keys;
    const ids = options?.ids;
    for (const [what, list] of [['keys', keys], ['ids', ids]] as const) {
      if (list !== undefined && (!Array.isArray(list) || list.length !== m.rows)) throw new TypeError(`options.${what} must give one value per row (${m.rows})`);
    }
    const served = new Uint8Array(m.rows);
    const groups = new Map<number, number[] | null>();
    if (keys === undefined || this.#router === undefined) groups.set(0, null);
    else {
      for (let r = 0; r < m.rows; r++) served[r] = this.#route(keys[r]);
      for (let r = 0; r < m.rows; r++) {
        const list = groups.get(served[r] as number) ?? [];
        list.push(r);
        groups.set(served[r] as number, list);
      }
    }
    return { data, rows: m.rows, served, groups, p: new Float64Array(m.rows), versions: this.#members.map((mm) => mm.model.version) };
  }

  // Scores the rows `member` answers (null: all of them), sync or async, timing the call.
  #serve(member: number, plan: { data: Float32Array | Float64Array; rows: number }, rows: number[] | null, async: boolean): Float64Array | Promise<Float64Array> {
    const m = this.#members[member] as Member<Name>;
    const n = m.model.nFeatures;
    let input = plan.data;
    if (rows !== null) {
      input = new Float64Array(rows.length * n);
      rows.forEach((r, i) => input.set(plan.data.subarray(r * n, (r + 1) * n), i * n));
    }
    const count = rows?.length ?? plan.rows;
    const t = performance.now();
    const done = (p: Float64Array) => {
      m.tally.served(count, performance.now() - t);
      return p;
    };
    const failed = (e: unknown): never => {
      m.tally.error(e);
      throw e;
    };
    if (!async) {
      try {
        return done(m.model.predictProba(input));
      } catch (e) {
        return failed(e);
      }
    }
    return m.model.predictProbaAsync(input).then(done, failed);
  }

  #answer(plan: { p: Float64Array; rows: number }, member: number, rows: number[] | null, p: Float64Array): void {
    const tally = (this.#members[member] as Member<Name>).tally;
    if (rows === null) plan.p.set(p);
    else rows.forEach((r, i) => (plan.p[r] = p[i] as number));
    for (let i = 0; i < p.length; i++) tally.score(p[i] as number);
  }

  #finish(plan: { data: Float32Array | Float64Array; rows: number; served: Uint8Array; p: Float64Array; versions: (string | undefined)[] }, options: SetBatchOptions | undefined): SetBatchResult {
    const labels = new Uint8Array(plan.rows);
    for (let r = 0; r < plan.rows; r++) {
      const m = this.#members[plan.served[r] as number] as Member<Name>;
      labels[r] = (plan.p[r] as number) >= m.model.threshold ? 1 : 0;
    }
    const ids = options?.ids;
    if (ids !== undefined) {
      for (let r = 0; r < plan.rows; r++) {
        this.#outcomes.open(ids[r] as string | number, this.#shadow === 'off' ? 1 : this.#members.length);
        this.#outcomes.score(ids[r] as string | number, plan.served[r] as number, plan.p[r] as number);
      }
    }
    if (this.#shadow !== 'off' && this.#members.length > 1 && plan.rows > 0) {
      this.#work.add(plan.data, plan.rows, plan.served, plan.p, ids);
    }
    return { p: plan.p, labels, served: plan.served, members: this.#names, versions: plan.versions };
  }

  /**
   * The outcome of a row scored with `id`: 1 (up) or 0. Each version's accuracy and log loss
   * count it. False when the id is unknown (never scored, already reported, or evicted).
   */
  recordOutcome(id: string | number, label: 0 | 1 | boolean): boolean {
    const l = label === true || label === 1 ? 1 : label === false || label === 0 ? 0 : -1;
    if (l < 0) throw new TypeError(`an outcome label is 0, 1 or a boolean, got ${String(label)}`);
    return this.#outcomes.record(id, l as 0 | 1);
  }

  /** Every version's running statistics (a fresh snapshot). */
  stats(): SetStats {
    return {
      champion: this.champion,
      shadow: this.#shadow,
      members: this.#members.map((m, i) => m.tally.report(m.name, i === 0 ? 'champion' : 'challenger', m.model.closed ? undefined : m.model.version, m.model.threshold)),
      queuedShadowRows: this.#queue.rows,
      droppedShadowRows: this.#queue.dropped,
      pendingOutcomes: this.#outcomes.size,
      evictedOutcomes: this.#outcomes.evicted,
      unmatchedOutcomes: this.#outcomes.unmatched,
    };
  }

  /** @internal The counters behind `stats()` (for metrics). */
  tallies(): readonly { name: string; model: ProductionEnsemble<Name>; tally: VersionTally }[] {
    return this.#members;
  }

  /** Resolves once every deferred shadow row queued so far has been scored. */
  flush(): Promise<void> {
    return this.#work.flush();
  }

  /** Stops shadow work (rows still queued are dropped) and closes the members it owns; later calls throw `ClosedError`. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#work.close();
    this.#outcomes.clear();
    if (this.#owns) for (const m of this.#members) m.model.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
