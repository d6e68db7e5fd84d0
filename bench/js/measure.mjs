// The timing rules every contender measured in Node follows (the package in ensemble.bench.mjs,
// onnxruntime-node in peers/onnxruntime.mjs): per-call latency over rows cycled from the inputs
// after a warm-up, calls kept in flight, and batch medians within a time budget.
const now = process.hrtime.bigint;

/** `v` to `d` decimals; null for null, undefined or NaN (so results stay valid JSON). */
export const round = (v, d = 3) => (v === null || v === undefined || Number.isNaN(v) ? null : Number(v.toFixed(d)));

/** The middle element of `v` (the upper one of an even count). */
export const median = (v) => [...v].sort((a, b) => a - b)[v.length >> 1];

/** Median, p99, min and mean in µs of per-call times `ns` (sorted in place). */
export function summarize(ns, calls, loopNs) {
  ns.sort();
  const q = (p) => ns[Math.min(ns.length - 1, Math.max(0, Math.ceil(p * ns.length) - 1))] / 1e3;
  const mid = ns.length >> 1;
  const med = (ns.length % 2 ? ns[mid] : (ns[mid - 1] + ns[mid]) / 2) / 1e3;
  return { calls, medianUs: round(med), p99Us: round(q(0.99)), minUs: round(ns[0] / 1e3), meanUs: round(loopNs / calls / 1e3) };
}

/** Per-call latency of fn(row) over `calls` rows cycled from `views`, after `warmup` calls. */
export function latency(fn, views, calls, warmup) {
  for (let i = 0; i < warmup; i++) fn(views[i % views.length]);
  const ns = new Float64Array(calls);
  const start = now();
  for (let i = 0; i < calls; i++) {
    const r = views[i % views.length];
    const t = now();
    fn(r);
    ns[i] = Number(now() - t);
  }
  return summarize(ns, calls, Number(now() - start));
}

/** As latency, awaiting each call. */
export async function asyncLatency(fn, views, calls, warmup) {
  for (let i = 0; i < warmup; i++) await fn(views[i % views.length]);
  const ns = new Float64Array(calls);
  const start = now();
  for (let i = 0; i < calls; i++) {
    const r = views[i % views.length];
    const t = now();
    await fn(r);
    ns[i] = Number(now() - t);
  }
  return summarize(ns, calls, Number(now() - start));
}

/**
 * `total` calls over rows cycled from `views` with `depth` of them in flight at any time, after a
 * warm-up of a tenth as many; worker w calls makeFn(w) (e.g. each with its own input buffer).
 */
export async function inFlight(makeFn, views, total, depth) {
  const fns = Array.from({ length: depth }, (_, w) => makeFn(w));
  const run = async (n) => {
    let next = 0;
    const worker = async (fn) => {
      while (next < n) await fn(views[next++ % views.length]);
    };
    await Promise.all(fns.map(worker));
  };
  await run(Math.ceil(total / 10));
  const start = now();
  await run(total);
  const s = Number(now() - start) / 1e9;
  return { calls: total, inFlight: depth, seconds: round(s, 6), callsPerSecond: round(total / s, 1), usPerCall: round((s / total) * 1e6) };
}

/**
 * Seconds of `await run()` (one batch of `rows` rows) after one warm-up: at least 3 repeats, then
 * more while within `budget` seconds (at most 200 for up to 10,000 rows, else 3). Median and min.
 */
export async function timeBatch(run, rows, budget) {
  await run(true);
  const secs = [];
  let spent = 0;
  const maxReps = rows <= 10_000 ? 200 : 3;
  while (secs.length < maxReps && (secs.length < 3 || spent < budget)) {
    const t = now();
    await run(false);
    const s = Number(now() - t) / 1e9;
    secs.push(s);
    spent += s;
    if (s > budget) break;
  }
  secs.sort((a, b) => a - b);
  const med = secs[secs.length >> 1];
  return { rows, reps: secs.length, medianSeconds: round(med, 6), minSeconds: round(secs[0], 6), rowsPerSecond: round(rows / med, 1) };
}
