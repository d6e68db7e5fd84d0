// Prometheus metrics (issue 13, item 4) through a real prom-client Registry: what the scrape says
// equals what the calls did; the Grafana dashboard queries only metrics that exist; the example
// server serves them on the port it is given.
import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import client from 'prom-client';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { EnsembleSet, ProductionEnsemble, enableMetrics } from '../dist/index.js';
import { fixtures, readF64, root } from './helpers.js';
import { B_WEIGHTS, tempDir, versionDir } from './serving-helpers.js';

const x = readF64(join(fixtures, 'production', 'inputs.f64'));
const rows = x.length / 12;
let tmp: string;
let dirA: string;
let dirB: string;
beforeAll(() => {
  tmp = tempDir();
  dirA = versionDir(join(tmp, 'A'));
  dirB = versionDir(join(tmp, 'B'), B_WEIGHTS);
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the Prometheus text format strictly enough to catch a malformed line. */
function parse(text: string): { samples: Sample[]; types: Map<string, string> } {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const t = /^# TYPE (\S+) (counter|gauge|histogram|summary)$/.exec(line);
    if (t) {
      types.set(t[1] as string, t[2] as string);
      continue;
    }
    if (line.startsWith('# HELP ')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not a Prometheus sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, k, v] of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[k as string] = v as string;
    samples.push({ name: m[1] as string, labels, value: Number(m[3]) });
  }
  return { samples, types };
}

function pick(samples: Sample[], name: string, labels: Record<string, string> = {}): Sample[] {
  return samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}

function value(samples: Sample[], name: string, labels: Record<string, string>): number | undefined {
  const found = pick(samples, name, labels);
  if (found.length > 1) throw new Error(`${name} ${JSON.stringify(labels)}: ${found.length} samples`);
  return found[0]?.value;
}

/** Every histogram's buckets are cumulative and end in +Inf = _count. */
function checkHistograms(samples: Sample[], types: Map<string, string>): void {
  for (const [name, type] of types) {
    if (type !== 'histogram') continue;
    const groups = new Map<string, Sample[]>();
    for (const s of pick(samples, `${name}_bucket`)) {
      const { le: _le, ...rest } = s.labels;
      const key = JSON.stringify(rest);
      groups.set(key, [...(groups.get(key) ?? []), s]);
    }
    for (const [key, buckets] of groups) {
      for (let i = 1; i < buckets.length; i++) expect((buckets[i] as Sample).value, `${name} ${key}`).toBeGreaterThanOrEqual((buckets[i - 1] as Sample).value);
      expect(buckets[buckets.length - 1]?.labels.le).toBe('+Inf');
      expect(buckets[buckets.length - 1]?.value).toBe(value(samples, `${name}_count`, JSON.parse(key)));
    }
  }
}

it('a tracked ensemble: latency per method, rows, errors by code, P(up) histogram, reloads, the version serving', async () => {
  const register = new client.Registry();
  const metrics = enableMetrics({ register });
  using m = await ProductionEnsemble.load(dirA);
  const v1 = m.version as string;
  metrics.track(m, 'bot');
  const p = m.predictProba(x);
  for (let r = 0; r < 10; r++) m.predictOne(x.subarray(r * 12, r * 12 + 12));
  await m.predictProbaAsync(x);
  expect(() => m.predictOne(new Float64Array(11))).toThrow();
  expect(() => m.predictProba(new Float64Array(12).fill(Infinity))).toThrow();
  await expect(m.reload(join(tmp, 'nope'))).rejects.toThrow();
  await m.reload(dirB);
  m.predictOne(x.subarray(0, 12));

  const { samples, types } = parse(await register.metrics());
  checkHistograms(samples, types);
  const bot = { model: 'bot', version: v1 };
  expect(value(samples, 'production_ensemble_rows_total', bot)).toBe(2 * rows + 10);
  expect(value(samples, 'production_ensemble_scoring_seconds_count', { ...bot, method: 'predict' })).toBe(1);
  expect(value(samples, 'production_ensemble_scoring_seconds_count', { ...bot, method: 'predictOne' })).toBe(10);
  expect(value(samples, 'production_ensemble_scoring_seconds_count', { ...bot, method: 'predictAsync' })).toBe(1);
  expect(value(samples, 'production_ensemble_errors_total', { ...bot, code: 'ERR_FEATURE_MISMATCH' })).toBe(1);
  expect(value(samples, 'production_ensemble_errors_total', { ...bot, code: 'ERR_NON_FINITE_INPUT' })).toBe(1);
  // The P(up) histogram: what the outputs were, bin by bin.
  const scored = [...p, ...Array.from({ length: 10 }, (_, r) => p[r] as number), ...p];
  for (const le of ['0.25', '0.5', '0.55', '0.75', '1']) {
    expect(value(samples, 'production_ensemble_score_bucket', { ...bot, le }), le).toBe(scored.filter((s) => s <= Number(le)).length);
  }
  expect(value(samples, 'production_ensemble_score_sum', bot)).toBeCloseTo(scored.reduce((a, b) => a + b, 0), 9);
  expect(value(samples, 'production_ensemble_reloads_total', { model: 'bot', outcome: 'ok', code: '' })).toBe(1);
  expect(value(samples, 'production_ensemble_reloads_total', { model: 'bot', outcome: 'failed', code: 'ERR_MODEL_NOT_FOUND' })).toBe(1);
  // After the reload: the new version serves, its calls are its own series.
  expect(pick(samples, 'production_ensemble_serving_info').map((s) => s.labels)).toEqual([{ model: 'bot', version: m.version }]);
  expect(value(samples, 'production_ensemble_rows_total', { model: 'bot', version: m.version as string })).toBe(1);
  expect(value(samples, 'production_ensemble_serving_since_seconds', { model: 'bot' })).toBe(Date.parse(m.getModelInfo().servingSince) / 1e3);

  // Untracked, closed: nothing more is counted, and the metrics leave the registry.
  metrics.close();
  expect(await register.metrics()).toBe('\n');
  m.predictOne(x.subarray(0, 12));
});

it('a tracked set: rows served and shadowed, agreement, outcomes per version, as stats() says', async () => {
  const register = new client.Registry(client.Registry.OPENMETRICS_CONTENT_TYPE);
  const metrics = enableMetrics({ register, prefix: 'bot_' });
  using set = await EnsembleSet.load({ champion: { name: 'a', path: dirA }, challengers: [{ name: 'b', path: dirB }] }, { canary: { b: 0.2 } });
  metrics.trackSet(set, 'ab');
  set.score(x, { keys: Array.from({ length: rows }, (_, r) => `k${r}`), ids: Array.from({ length: rows }, (_, r) => r) });
  await set.flush();
  for (let r = 0; r < rows; r += 2) set.recordOutcome(r, r % 3 === 0 ? 1 : 0);
  const text = await register.metrics();
  expect(text.endsWith('# EOF\n')).toBe(true);
  const { samples } = parse(text.replace('# EOF\n', ''));
  const stats = set.stats();
  for (const m of stats.members) {
    const l = { set: 'ab', version: m.name };
    expect(value(samples, 'bot_set_rows_total', { ...l, role: 'served' })).toBe(m.servedRows);
    expect(value(samples, 'bot_set_rows_total', { ...l, role: 'shadow' })).toBe(m.shadowRows);
    expect(value(samples, 'bot_set_accuracy_ratio', l)).toBe(m.outcomes.accuracy);
    expect(value(samples, 'bot_set_log_loss', l)).toBeCloseTo(m.outcomes.logLoss as number, 12);
    expect(value(samples, 'bot_set_outcomes_total', l)).toBe(rows / 2);
  }
  expect(value(samples, 'bot_set_agreement_ratio', { set: 'ab', version: 'b' })).toBe(stats.members[1]?.agreement?.rate);
  expect(value(samples, 'bot_set_agreement_ratio', { set: 'ab', version: 'a' })).toBeUndefined();
  expect(value(samples, 'bot_set_pending_outcomes', { set: 'ab' })).toBe(rows / 2);
  metrics.close();
});

it('the Grafana dashboard queries only metrics the package exports', async () => {
  const dashboard = readFileSync(join(root, 'examples', 'grafana', 'production-ensemble-dashboard.json'), 'utf8');
  const exprs = [...dashboard.matchAll(/"(?:expr|definition)": "((?:[^"\\]|\\.)*)"/g)].map((m) => m[1] as string);
  expect(exprs.length).toBeGreaterThan(15);
  const queried = new Set(exprs.flatMap((e) => [...e.matchAll(/\bproduction_ensemble_[a-z_]+/g)].map((m) => m[0])));
  const register = new client.Registry();
  const metrics = enableMetrics({ register });
  using set = await EnsembleSet.load({ champion: { name: 'a', path: dirA }, challengers: [{ name: 'b', path: dirB }] });
  metrics.track(set.model('a'), 'bot');
  metrics.trackSet(set, 'ab');
  set.predictOne(x.subarray(0, 12), { id: 1 });
  await set.flush();
  set.recordOutcome(1, 1);
  expect(() => set.predictOne(new Float64Array(3))).toThrow();
  await set.model('a').reload(join(tmp, 'nope')).catch(() => undefined);
  const { samples, types } = parse(await register.metrics());
  const exported = new Set([...types.keys()].flatMap((n) => (types.get(n) === 'histogram' ? [`${n}_bucket`, `${n}_sum`, `${n}_count`] : [n])));
  const present = new Set(samples.map((s) => s.name));
  for (const name of queried) {
    expect(exported.has(name), `${name} is a metric of the package`).toBe(true);
    expect(present.has(name), `${name} has samples once the set has served`).toBe(true);
  }
  // ... and the docs list every metric the package exports.
  const docs = readFileSync(join(root, 'docs', 'serving.md'), 'utf8');
  for (const name of types.keys()) expect(docs, name).toContain(`\`${name}\``);
  metrics.close();
});

it('enableMetrics needs a registry; a model is tracked once', async () => {
  expect(() => enableMetrics({} as never)).toThrow("enableMetrics needs { register }: a prom-client Registry (import { register } from 'prom-client')");
  expect(() => enableMetrics({ register: new client.Registry(), latencyBuckets: [1, 0.5] })).toThrow(RangeError);
  const metrics = enableMetrics({ register: new client.Registry() });
  using m = await ProductionEnsemble.load(dirA);
  const stop = metrics.track(m, 'bot');
  expect(() => metrics.track(m, 'again')).toThrow(/already tracked/);
  stop();
  metrics.track(m, 'again');
  metrics.close();
});

it('examples/serving/metrics-server.mjs serves /metrics on the port it is given', async () => {
  const child = spawn(process.execPath, [join(root, 'examples', 'serving', 'metrics-server.mjs'), '--port', '0', '--models', dirA, '--challenger', dirB, '--simulate', '--rows-per-second', '500'], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /metrics on (http:\/\/127\.0\.0\.1:\d+\/metrics)/.exec(out);
        if (m) resolve(m[1] as string);
      });
      child.stderr.on('data', (d: Buffer) => reject(new Error(d.toString())));
      child.once('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
    });
    await new Promise((r) => setTimeout(r, 1500));
    const res = await fetch(url);
    expect(res.status).toBe(200);
    const { samples } = parse(await res.text());
    expect(pick(samples, 'production_ensemble_serving_info', { model: 'champion' }).length).toBe(1);
    expect(value(samples, 'production_ensemble_scoring_seconds_count', { model: 'champion', method: 'predictOne', version: pick(samples, 'production_ensemble_serving_info', { model: 'champion' })[0]?.labels.version as string })).toBeGreaterThan(10);
    expect(pick(samples, 'production_ensemble_set_rows_total', { set: 'bot' }).length).toBe(4);
    expect(pick(samples, 'process_cpu_user_seconds_total').length).toBe(1); // the application's own metrics beside them
  } finally {
    child.kill('SIGTERM');
  }
});
