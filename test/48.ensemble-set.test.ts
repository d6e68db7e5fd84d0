// Champion and challengers (issue 13, item 3): the champion answers (a challenger for its canary
// keys), the others score the same rows in shadow, and every version's statistics are what its
// outputs say they must be: distribution, agreement, accuracy and log loss.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClosedError, EnsembleSet, FeatureMismatchError, ProductionEnsemble, fnv1a32 } from '../dist/index.js';
import { LogHistogram } from '../dist/histogram.js';
import { fixtures, readF64, runChild, root } from './helpers.js';
import { B_WEIGHTS, smallDir, tempDir, versionDir } from './serving-helpers.js';

const x = readF64(join(fixtures, 'production', 'inputs.f64'));
const rows = x.length / 12;
const rowAt = (r: number) => x.subarray(r * 12, r * 12 + 12);
let tmp: string;
let a: ProductionEnsemble;
let b: ProductionEnsemble;
let pa: Float64Array;
let pb: Float64Array;

beforeAll(async () => {
  tmp = tempDir();
  a = await ProductionEnsemble.load(versionDir(join(tmp, 'A')));
  b = await ProductionEnsemble.load(versionDir(join(tmp, 'B'), B_WEIGHTS));
  pa = a.predictProba(x);
  pb = b.predictProba(x);
});
afterAll(() => {
  a.close();
  b.close();
});

/** What the statistics must say of B against A over `n` rows. */
function agreementOf(n: number) {
  let same = 0;
  let diff = 0;
  for (let r = 0; r < n; r++) {
    if ((pa[r] as number) >= 0.5 === (pb[r] as number) >= 0.5) same++;
    diff += Math.abs((pb[r] as number) - (pa[r] as number));
  }
  return { rows: n, sameLabel: same, rate: same / n, meanAbsDiff: diff / n };
}

describe('FNV-1a routing', () => {
  it('is the standard 32-bit FNV-1a over UTF-8, the same as TextEncoder bytes hashed by hand', () => {
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect(fnv1a32('foobar')).toBe(0xbf9cf968);
    expect(fnv1a32(12345)).toBe(fnv1a32('12345'));
    const byBytes = (s: string) => {
      let h = 0x811c9dc5;
      for (const byte of new TextEncoder().encode(s)) h = Math.imul(h ^ byte, 0x01000193) >>> 0;
      return h;
    };
    for (const s of ['BTCUSDT', 'ordre-é', '注文-42', 'emoji 🚀 key', '\ud800 lone', 'z'.repeat(300)]) expect(fnv1a32(s), s).toBe(byBytes(s));
  });

  it('a key goes to the same version in another process', () => {
    const keys = Array.from({ length: 200 }, (_, i) => `order-${i}`);
    using set = new EnsembleSet({ name: 'a', model: a }, [{ name: 'b', model: b }], { canary: { b: 0.3 } });
    const here = keys.map((k) => set.route(k));
    const share = here.filter((m) => m === 'b').length / keys.length;
    expect(share).toBeGreaterThan(0.2);
    expect(share).toBeLessThan(0.4);
    for (const [k, m] of keys.map((k, i) => [k, here[i]])) expect(m).toBe(fnv1a32(k as string) / 2 ** 32 < 0.3 ? 'b' : 'a');
    const r = runChild(`
      import { fnv1a32 } from ${JSON.stringify(join(root, 'dist', 'index.js'))};
      console.log(JSON.stringify(${JSON.stringify(keys)}.map((k) => fnv1a32(k) / 2 ** 32 < 0.3 ? 'b' : 'a')));`);
    expect(JSON.parse(r.stdout)).toEqual(here);
  });
});

describe('EnsembleSet', () => {
  it('deferred shadow: the champion answers; after flush the challenger has scored every row, and the statistics are exact', async () => {
    using set = new EnsembleSet({ name: 'a', model: a }, [{ name: 'b', model: b }]);
    expect(set.members).toEqual(['a', 'b']);
    for (let r = 0; r < 100; r++) expect(set.predictOne(rowAt(r))).toBe(pa[r]);
    expect(set.predictProba(x.subarray(100 * 12))).toEqual(pa.subarray(100));
    // Nothing of the shadow work ran inside those calls.
    expect(set.stats().members[1]?.shadowRows).toBe(0);
    expect(set.stats().queuedShadowRows).toBe(rows);
    await set.flush();
    const [sa, sb] = set.stats().members;
    expect(sa).toMatchObject({ name: 'a', role: 'champion', servedRows: rows, servedCalls: 101, shadowRows: 0 });
    expect(sb).toMatchObject({ name: 'b', role: 'challenger', servedRows: 0, shadowRows: rows });
    expect(sb?.agreement?.rows).toBe(rows);
    const want = agreementOf(rows);
    expect(sb?.agreement?.sameLabel).toBe(want.sameLabel);
    expect(sb?.agreement?.meanAbsDiff).toBeCloseTo(want.meanAbsDiff, 12);
    expect(sa?.scores.count).toBe(rows);
    expect(sa?.scores.mean).toBeCloseTo(pa.reduce((s, v) => s + v, 0) / rows, 12);
    const bins = new Array(20).fill(0);
    for (const p of pb) bins[Math.max(0, Math.min(19, Math.ceil(p * 20) - 1))]++;
    expect(sb?.scores.bins).toEqual(bins);
    expect(sa?.latency.count).toBe(101);
    expect(sa?.latency.p50Us).toBeGreaterThan(0);
    expect(sb?.shadowLatency.count).toBeGreaterThan(0);
    expect(set.stats().queuedShadowRows).toBe(0);
  });

  it('canary: the keys routed to a challenger get its answer; the champion scores them in shadow', async () => {
    using set = new EnsembleSet({ name: 'a', model: a }, [{ name: 'b', model: b }], { canary: { b: 0.25 } });
    const keys = Array.from({ length: rows }, (_, r) => `sym-${r}`);
    const toB = keys.map((k) => set.route(k) === 'b');
    for (let r = 0; r < 50; r++) expect(set.predictOne(rowAt(r), { key: keys[r] as string })).toBe(toB[r] ? pb[r] : pa[r]);
    const res = set.score(x.subarray(50 * 12), { keys: keys.slice(50) });
    for (let i = 0; i < rows - 50; i++) {
      expect(res.p[i]).toBe(toB[50 + i] ? pb[50 + i] : pa[50 + i]);
      expect(res.members[res.served[i] as number]).toBe(toB[50 + i] ? 'b' : 'a');
      expect(res.labels[i]).toBe((res.p[i] as number) >= 0.5 ? 1 : 0);
    }
    expect(res.versions).toEqual([a.version, b.version]);
    await set.flush();
    const [sa, sb] = set.stats().members;
    const nb = toB.filter(Boolean).length;
    expect([sa?.servedRows, sa?.shadowRows, sb?.servedRows, sb?.shadowRows]).toEqual([rows - nb, nb, nb, rows - nb]);
    // Every row scored by both: the comparison covers them all.
    expect(sb?.agreement?.sameLabel).toBe(agreementOf(rows).sameLabel);
  });

  it('outcomes: accuracy and log loss per version, whether the outcome comes before or after the shadow score', async () => {
    using set = new EnsembleSet({ name: 'a', model: a }, [{ name: 'b', model: b }]);
    const label = (r: number) => ((r * 7) % 3 === 0 ? 1 : 0) as 0 | 1;
    for (let r = 0; r < 60; r++) set.predictOne(rowAt(r), { id: r });
    // Outcomes of rows 0..29 arrive before the shadow scores, the rest after.
    for (let r = 0; r < 30; r++) expect(set.recordOutcome(r, label(r))).toBe(true);
    await set.flush();
    for (let r = 30; r < 60; r++) expect(set.recordOutcome(r, label(r) === 1)).toBe(true);
    expect(set.recordOutcome(5, 1)).toBe(false); // already reported
    expect(set.recordOutcome('never', 0)).toBe(false);
    const expectOf = (p: Float64Array) => {
      let correct = 0;
      let loss = 0;
      for (let r = 0; r < 60; r++) {
        const q = Math.min(Math.max(p[r] as number, 1e-15), 1 - 1e-15);
        if (((p[r] as number) >= 0.5 ? 1 : 0) === label(r)) correct++;
        loss -= label(r) ? Math.log(q) : Math.log(1 - q);
      }
      return { count: 60, accuracy: correct / 60, logLoss: loss / 60 };
    };
    const s = set.stats();
    for (const [i, p] of [[0, pa], [1, pb]] as const) {
      const o = s.members[i]?.outcomes;
      const e = expectOf(p);
      expect(o?.count).toBe(60);
      expect(o?.accuracy).toBe(e.accuracy);
      expect(o?.logLoss).toBeCloseTo(e.logLoss, 12);
    }
    expect(s.pendingOutcomes).toBe(0);
    expect(s.unmatchedOutcomes).toBe(2);
    expect(() => set.recordOutcome(1, 2 as 0)).toThrow(TypeError);
  });

  it('bounds: pending outcomes and queued shadow rows never grow past their limits', async () => {
    using set = new EnsembleSet({ name: 'a', model: a }, [{ name: 'b', model: b }], { maxPendingOutcomes: 10, maxShadowRows: 64 });
    set.predictProba(x.subarray(0, 100 * 12), { ids: Array.from({ length: 100 }, (_, r) => r) });
    const s = set.stats();
    expect(s.pendingOutcomes).toBe(10);
    expect(s.evictedOutcomes).toBe(90);
    expect(s.queuedShadowRows).toBe(64);
    expect(s.droppedShadowRows).toBe(36);
    expect(set.recordOutcome(0, 1)).toBe(false); // evicted
    expect(set.recordOutcome(99, 1)).toBe(true);
    await set.flush();
    expect(set.stats().members[1]?.shadowRows).toBe(64);
  });

  it('inline shadow: the statistics are complete when the call returns; off: no shadow work', () => {
    using inline = new EnsembleSet({ name: 'a', model: a }, [{ name: 'b', model: b }], { shadow: 'inline' });
    expect(inline.predictOne(rowAt(3))).toBe(pa[3]);
    expect(inline.predictProba(x.subarray(0, 10 * 12))).toEqual(pa.subarray(0, 10));
    expect(inline.stats().members[1]).toMatchObject({ shadowRows: 11, shadowCalls: 2 });
    using off = new EnsembleSet({ name: 'a', model: a }, [{ name: 'b', model: b }], { shadow: 'off' });
    off.predictProba(x);
    expect(off.stats().members[1]?.shadowRows).toBe(0);
    expect(off.stats().queuedShadowRows).toBe(0);
  });

  it('async: the answer first, the shadow rows copied at the call (the caller may refill its buffer)', async () => {
    using set = new EnsembleSet({ name: 'a', model: a }, [{ name: 'b', model: b }]);
    const buf = x.slice(0, 64 * 12);
    const pending = set.scoreAsync(buf);
    buf.fill(0);
    expect((await pending).p).toEqual(pa.subarray(0, 64));
    expect(await set.predictProbaAsync(x.subarray(64 * 12, 128 * 12))).toEqual(pa.subarray(64, 128));
    await set.flush();
    expect(set.stats().members[1]?.agreement?.sameLabel).toBe(agreementOf(128).sameLabel);
  });

  it('a failing challenger never fails the answer: its errors are counted', async () => {
    const c = await ProductionEnsemble.load(versionDir(join(tmp, 'C'), B_WEIGHTS));
    using set = new EnsembleSet({ name: 'a', model: a }, [{ name: 'c', model: c }]);
    c.close();
    expect(set.predictProba(x.subarray(0, 5 * 12))).toEqual(pa.subarray(0, 5));
    await set.flush();
    expect(set.stats().members[1]?.errors).toEqual({ ERR_CLOSED: 1 });
    expect(set.stats().members[0]?.errors).toEqual({});
  });

  it('a challenger failing in inline shadow: the answers stand, the outcomes of its rows still count for the others', async () => {
    const c = await ProductionEnsemble.load(join(tmp, 'B'));
    using set = new EnsembleSet({ name: 'a', model: a }, [{ name: 'c', model: c }], { shadow: 'inline' });
    c.close();
    expect(set.predictOne(rowAt(0), { id: 'o0' })).toBe(pa[0]);
    expect(set.predictProba(x.subarray(12, 48), { ids: ['o1', 'o2', 'o3'] })).toEqual(pa.subarray(1, 4));
    // Without the cancel, each id would stay pending for c's score, which never comes (held until evicted).
    for (const id of ['o0', 'o1', 'o2', 'o3']) expect(set.recordOutcome(id, 1)).toBe(true);
    const s = set.stats();
    expect(s.members[0]?.outcomes.count).toBe(4);
    expect(s.members[1]?.outcomes.count).toBe(0);
    expect(s.members[1]?.errors).toEqual({ ERR_CLOSED: 2 });
    expect(s.pendingOutcomes).toBe(0);
  });

  it('refuses versions over other features, unknown canary members, duplicate names', async () => {
    using small = await ProductionEnsemble.load<string>(smallDir(join(tmp, 'small')));
    expect(() => new EnsembleSet(a, [small as unknown as ProductionEnsemble])).toThrow(FeatureMismatchError);
    expect(() => new EnsembleSet({ name: 'a', model: a }, [{ name: 'b', model: b }], { canary: { z: 0.1 } })).toThrow("canary: 'z' is not a challenger of the set (challengers: b)");
    expect(() => new EnsembleSet({ name: 'a', model: a }, [{ name: 'b', model: b }], { canary: { b: 1.5 } })).toThrow(RangeError);
    expect(() => new EnsembleSet({ name: 'x', model: a }, [{ name: 'x', model: b }])).toThrow("two members of the set are named 'x'");
    // Unnamed members go by their version.
    using set = new EnsembleSet(a, [b]);
    expect(set.members).toEqual([a.version, b.version]);
  });

  it('EnsembleSet.load owns what it loads; a failed load closes the rest', async () => {
    const set = await EnsembleSet.load({ champion: join(tmp, 'A'), challengers: [{ name: 'b', path: join(tmp, 'B') }] });
    expect(set.members).toEqual([a.version, 'b']);
    const champion = set.model(set.champion);
    set.close();
    expect(champion.closed).toBe(true);
    expect(() => set.predictOne(rowAt(0))).toThrow('EnsembleSet is closed');
    expect(() => set.score(x)).toThrow(ClosedError);
    expect(() => champion.predictOne(rowAt(0))).toThrow(ClosedError);
    await expect(EnsembleSet.load({ champion: join(tmp, 'A'), challengers: [join(tmp, 'nope')] })).rejects.toThrow(/does not exist/);
  });
});

describe('the latency histogram', () => {
  it('quantiles within 1/128 of the exact order statistics, over six decades', () => {
    const h = new LogHistogram();
    const values: number[] = [];
    let seed = 7;
    const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    for (let i = 0; i < 50_000; i++) {
      const v = Math.round(Math.exp(rand() * 14)); // 1 ns .. 1.2 ms, log-uniform
      values.push(v);
      h.record(v);
    }
    values.sort((p, q) => p - q);
    for (const q of [0, 0.01, 0.25, 0.5, 0.9, 0.99, 0.999, 1]) {
      const exact = values[Math.max(0, Math.ceil(q * values.length) - 1)] as number;
      expect(Math.abs(h.quantile(q) - exact), `q=${q}`).toBeLessThanOrEqual(Math.max(1, exact / 128));
    }
    expect(h.count).toBe(50_000);
    expect(h.max).toBe(values[values.length - 1]);
    expect(h.cumulative([0, 1e12])).toEqual([values.filter((v) => v === 0).length, 50_000]);
  });
});
