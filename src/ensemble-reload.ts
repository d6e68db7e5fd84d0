/**
 * What a reload checks before its new generation serves (the features of the one it replaces,
 * probe rows through both scoring paths, the caller's own check), and how its outcome is written.
 */
import type { EnsembleGeneration } from './ensemble-load.js';
import { ensembleShape } from './ensemble-load.js';
import type { ReloadCandidate, ReloadOutcome } from './ensemble-types.js';
import { EnsembleError, SelfCheckError } from './errors.js';
import { Scorer } from './scorer.js';

// Probe rows any 12-feature (or n-feature) ensemble must score: zeros, ones, halves, minus ones.
const PROBE_VALUES = [0, 1, 0.5, -1];

function where(next: EnsembleGeneration): string {
  return next.directory?.dir ?? 'the new version';
}

/**
 * Throws `SelfCheckError` when `next` must not replace `serving`: other feature names or count
 * (callers send rows in the serving version's column order, so a swap would score every later
 * row in the wrong columns), a probe row that does not score to a probability or scores
 * differently through the batch and single-row paths, or `selfCheck` throwing.
 */
export async function checkCandidate(
  serving: EnsembleGeneration,
  next: EnsembleGeneration,
  selfCheck: ((candidate: ReloadCandidate) => void | Promise<void>) | undefined,
): Promise<void> {
  const have = next.info.featureNames;
  const want = serving.info.featureNames;
  if (have.length !== want.length) {
    throw new SelfCheckError(
      `${where(next)}: the new version has ${have.length} features, the serving version ${want.length} ` +
        '(reload refuses a change of features: load a new ensemble instead)',
    );
  }
  const k = have.findIndex((n, i) => n !== want[i]);
  if (k >= 0) {
    throw new SelfCheckError(
      `${where(next)}: feature ${k} is '${have[k]}' in the new version but '${want[k]}' in the serving one ` +
        '(reload refuses a change of features: load a new ensemble instead)',
    );
  }
  // A scorer over the candidate that never frees it: the reload owns it until it is swapped in.
  const probe = new Scorer(next, ensembleShape, () => {});
  const n = next.info.nFeatures;
  const rows = new Float64Array(PROBE_VALUES.length * n);
  PROBE_VALUES.forEach((v, r) => rows.fill(v, r * n, (r + 1) * n));
  const batch = probe.predict(rows, 0).out;
  for (let r = 0; r < PROBE_VALUES.length; r++) {
    const b = batch[r] as number;
    const one = probe.predictOne(rows.subarray(r * n, (r + 1) * n));
    if (!(b >= 0 && b <= 1)) throw new SelfCheckError(`${where(next)}: probe row ${r} (every feature ${PROBE_VALUES[r]}) scores ${b}, not a probability`);
    if (one !== b) throw new SelfCheckError(`${where(next)}: probe row ${r} scores ${b} as a batch but ${one} as a single row`);
  }
  if (selfCheck === undefined) return;
  const candidate: ReloadCandidate = {
    version: next.version,
    directory: where(next),
    featureNames: next.info.featureNames,
    predictProba: (x) => probe.predict(x, 0).out,
    predictOne: (row) => probe.predictOne(row),
  };
  try {
    await selfCheck(candidate);
  } catch (e) {
    throw new SelfCheckError(`${where(next)}: selfCheck failed: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** The outcome of a reload that failed with `error`, the old version still serving. */
export function failedOutcome(trigger: ReloadOutcome['trigger'], directory: string, started: number, error: unknown): ReloadOutcome {
  const out: ReloadOutcome = {
    ok: false,
    trigger,
    at: new Date().toISOString(),
    durationMs: performance.now() - started,
    directory,
    error: error instanceof Error ? error.message : String(error),
  };
  if (error instanceof EnsembleError) out.errorCode = error.code;
  return out;
}
