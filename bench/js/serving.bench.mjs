#!/usr/bin/env node
// Serving costs (issue 13's targets), on the bundled ensemble:
// 1. predictOne latency with reloads running back to back vs without (target: p99 within 2x),
//    and the event loop's delay in both (what a swap blocks).
// 2. Shadow scoring of one challenger in an EnsembleSet vs the champion alone: a batch's answer
//    (target: at most 1.2x), the batch sustained back to back (shadow work competing for the
//    cores), inline shadow, and a single row's answer (target: nothing added when deferred), with
//    the challenger on the default threads and on threads: 1 (what docs/serving.md advises).
// 3. What metrics add to a tracked predictOne (prom-client Registry; untracked runs on both sides).
// Usage: node bench/js/serving.bench.mjs [--seconds 10] [--rows 10000] [--json FILE]
//   ~1.5 minutes with the defaults; run it on an idle machine.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

const root = resolve(import.meta.dirname, '..', '..');
const { EnsembleSet, ProductionEnsemble, enableMetrics } = await import(join(root, 'dist', 'index.js'));
const { default: promClient } = await import('prom-client');
const { values } = parseArgs({ options: { seconds: { type: 'string', default: '10' }, rows: { type: 'string', default: '10000' }, json: { type: 'string' } } });
const seconds = Number(values.seconds);
const batchRows = Number(values.rows);
const now = process.hrtime.bigint;
const r3 = (v) => Math.round(v * 1000) / 1000;

function quantiles(ns) {
  const s = Float64Array.from(ns).sort();
  const q = (p) => s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)] / 1e3;
  return { calls: s.length, p50Us: r3(q(0.5)), p99Us: r3(q(0.99)), p999Us: r3(q(0.999)), maxUs: r3(s[s.length - 1] / 1e3) };
}

const inputs = (() => {
  const buf = readFileSync(join(root, 'test', 'fixtures', 'production', 'inputs.f64'));
  return new Float64Array(buf.buffer, buf.byteOffset, buf.length / 8).slice();
})();
const nRows = inputs.length / 12;
const rowViews = Array.from({ length: nRows }, (_, r) => inputs.subarray(r * 12, r * 12 + 12));
const batch = new Float64Array(batchRows * 12);
for (let r = 0; r < batchRows; r++) batch.set(rowViews[r % nRows], r * 12);

// predictOne in bursts of 1,000 timed calls, yielding to the event loop between bursts (so that a
// reload's completion, and everything else a bot does, gets to run), for `secs` seconds.
async function timedSingles(model, secs) {
  const ns = [];
  const end = performance.now() + secs * 1e3;
  let i = 0;
  while (performance.now() < end) {
    for (let k = 0; k < 1000; k++, i++) {
      const t = now();
      model.predictOne(rowViews[i % nRows]);
      ns.push(Number(now() - t));
    }
    await new Promise((r) => setImmediate(r));
  }
  return ns;
}

async function reloadTarget() {
  const model = await ProductionEnsemble.load();
  await timedSingles(model, 1); // warm
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  const quiet = quantiles(await timedSingles(model, seconds));
  loop.disable();
  const quietLoop = { p99Ms: r3(loop.percentile(99) / 1e6), maxMs: r3(loop.max / 1e6) };
  loop.reset();
  let reloads = 0;
  let reloading = true;
  const reloader = (async () => {
    while (reloading) {
      await model.reload();
      reloads++;
    }
  })();
  loop.enable();
  const during = quantiles(await timedSingles(model, seconds));
  loop.disable();
  reloading = false;
  await reloader;
  model.close();
  const duringLoop = { p99Ms: r3(loop.percentile(99) / 1e6), maxMs: r3(loop.max / 1e6) };
  const r = { quiet, during, reloads, p99Ratio: r3(during.p99Us / quiet.p99Us), eventLoopDelay: { quiet: quietLoop, during: duringLoop } };
  console.log(
    `predictOne p50/p99/p99.9 µs: without reloads ${quiet.p50Us}/${quiet.p99Us}/${quiet.p999Us}, during ${reloads} reloads ` +
      `${during.p50Us}/${during.p99Us}/${during.p999Us} (p99 ratio ${r.p99Ratio}); event loop delay p99/max ms: ${quietLoop.p99Ms}/${quietLoop.maxMs} vs ${duringLoop.p99Ms}/${duringLoop.maxMs}`,
  );
  return r;
}

async function medianMs(fn, reps) {
  const ms = [];
  for (let i = 0; i < reps; i++) {
    const t = now();
    await fn();
    ms.push(Number(now() - t) / 1e6);
  }
  ms.sort((a, b) => a - b);
  return r3(ms[ms.length >> 1]);
}

async function shadowTarget() {
  const tmp = mkdtempSync(join(tmpdir(), 'pe-serving-bench-'));
  try {
    // The challenger: the same models with other weights (the same work as a retrained version).
    const dirB = join(tmp, 'B');
    cpSync(join(root, 'models', 'production'), dirB, { recursive: true });
    const metaPath = join(dirB, 'production_model_metadata.json');
    const meta = JSON.parse(readFileSync(metaPath, 'utf8'));
    meta.model_weights = { lightgbm: 0.5, xgboost: 0.3, random_forest: 0.2 };
    writeFileSync(metaPath, JSON.stringify(meta));
    const a = await ProductionEnsemble.load();
    const b = await ProductionEnsemble.load(dirB);
    const b1 = await ProductionEnsemble.load(dirB, { threads: 1 });
    const deferred = new EnsembleSet({ name: 'a', model: a }, [{ name: 'b', model: b }]);
    const deferred1 = new EnsembleSet({ name: 'a', model: a }, [{ name: 'b', model: b1 }]);
    const inline = new EnsembleSet({ name: 'a', model: a }, [{ name: 'b', model: b }], { shadow: 'inline' });
    const reps = Math.max(5, Math.round(seconds * 3));
    for (let i = 0; i < 3; i++) {
      a.predictProba(batch);
      deferred.predictProba(batch);
      await deferred.flush();
    }
    const alone = await medianMs(() => a.predictProba(batch), reps);
    // The answer of a call whose shadow work runs after it (flushed between calls, untimed).
    const answers = [];
    for (let i = 0; i < reps; i++) {
      const t = now();
      deferred.predictProba(batch);
      answers.push(Number(now() - t) / 1e6);
      await deferred.flush();
    }
    answers.sort((x, y) => x - y);
    const answer = r3(answers[answers.length >> 1]);
    // Back to back: each call's shadow batch runs on the pool while the next call scores.
    const sustained = await medianMs(async () => {
      deferred.predictProba(batch);
      await new Promise((r) => setImmediate(r));
    }, reps);
    await deferred.flush();
    const inlineMs = await medianMs(() => inline.predictProba(batch), reps);
    const asyncAlone = await medianMs(() => a.predictProbaAsync(batch), reps);
    const asyncAnswers = [];
    for (let i = 0; i < reps; i++) {
      const t = now();
      await deferred.predictProbaAsync(batch);
      asyncAnswers.push(Number(now() - t) / 1e6);
      await deferred.flush();
    }
    asyncAnswers.sort((x, y) => x - y);
    const asyncAnswer = r3(asyncAnswers[asyncAnswers.length >> 1]);

    // Single rows: the champion alone vs the set's answer (deferred; inline for reference).
    const singles = async (fn, secs) => {
      const ns = [];
      const end = performance.now() + secs * 1e3;
      let i = 0;
      while (performance.now() < end) {
        for (let k = 0; k < 1000; k++, i++) {
          const t = now();
          fn(rowViews[i % nRows]);
          ns.push(Number(now() - t));
        }
        await new Promise((r) => setImmediate(r));
      }
      return quantiles(ns);
    };
    const oneAlone = await singles((row) => a.predictOne(row), seconds / 2);
    const oneDeferred = await singles((row) => deferred.predictOne(row), seconds / 2);
    await deferred.flush();
    const oneDeferred1 = await singles((row) => deferred1.predictOne(row), seconds / 2);
    await deferred1.flush();
    const oneInline = await singles((row) => inline.predictOne(row), seconds / 2);
    const stats = deferred.stats();
    const dropped1 = deferred1.stats().droppedShadowRows;
    deferred.close();
    deferred1.close();
    inline.close();
    a.close();
    b.close();
    b1.close();
    const r = {
      batchRows,
      batch: { championAloneMs: alone, deferredAnswerMs: answer, ratio: r3(answer / alone), sustainedBackToBackMs: sustained, sustainedRatio: r3(sustained / alone), inlineMs, inlineRatio: r3(inlineMs / alone) },
      batchAsync: { championAloneMs: asyncAlone, deferredAnswerMs: asyncAnswer, ratio: r3(asyncAnswer / asyncAlone) },
      singleRow: { championAlone: oneAlone, deferred: oneDeferred, inline: oneInline, p50AddedUs: r3(oneDeferred.p50Us - oneAlone.p50Us), p99AddedUs: r3(oneDeferred.p99Us - oneAlone.p99Us) },
      singleRowChallengerThreads1: { deferred: oneDeferred1, p50AddedUs: r3(oneDeferred1.p50Us - oneAlone.p50Us), p99AddedUs: r3(oneDeferred1.p99Us - oneAlone.p99Us) },
      droppedShadowRows: stats.droppedShadowRows + dropped1,
    };
    console.log(
      `batch of ${batchRows}: champion alone ${alone} ms, answer with deferred shadow ${answer} ms (${r.batch.ratio}x), back to back ${sustained} ms (${r.batch.sustainedRatio}x), ` +
        `inline ${inlineMs} ms (${r.batch.inlineRatio}x); async: ${asyncAlone} vs ${asyncAnswer} ms (${r.batchAsync.ratio}x)`,
    );
    console.log(
      `single row p50/p99 µs: champion alone ${oneAlone.p50Us}/${oneAlone.p99Us}, deferred shadow ${oneDeferred.p50Us}/${oneDeferred.p99Us} ` +
        `(challenger threads: 1: ${oneDeferred1.p50Us}/${oneDeferred1.p99Us}), inline ${oneInline.p50Us}/${oneInline.p99Us}`,
    );
    return r;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

// The same model untracked, tracked, untracked: the two untracked runs bracket the tracked one, so
// a drift of the machine shows as a gap between them.
async function metricsCost() {
  const model = await ProductionEnsemble.load();
  await timedSingles(model, 1); // warm
  const secs = Math.max(1, seconds / 4);
  const before = quantiles(await timedSingles(model, secs));
  const metrics = enableMetrics({ register: new promClient.Registry() });
  metrics.track(model, 'bench');
  const tracked = quantiles(await timedSingles(model, secs));
  metrics.close();
  const after = quantiles(await timedSingles(model, secs));
  model.close();
  const base = (before.p50Us + after.p50Us) / 2;
  const r = { untrackedBefore: before, tracked, untrackedAfter: after, p50AddedUs: r3(tracked.p50Us - base) };
  console.log(`predictOne p50/p99 µs: untracked ${before.p50Us}/${before.p99Us}, tracked ${tracked.p50Us}/${tracked.p99Us}, untracked again ${after.p50Us}/${after.p99Us} (p50 +${r.p50AddedUs} µs)`);
  return r;
}

const reload = await reloadTarget();
const shadow = await shadowTarget();
const metrics = await metricsCost();
if (values.json) {
  const machine = { cpu: cpus()[0]?.model, cores: availableParallelism(), node: process.version };
  writeFileSync(values.json, `${JSON.stringify({ date: new Date().toISOString(), machine, seconds, reload, shadow, metrics }, null, 2)}\n`);
}
