/**
 * The statistics of drift detection (docs/drift.md), over histograms that share their bin edges:
 * the population stability index over the bins and the missing values, and the Kolmogorov-Smirnov
 * distance between the two cumulative distributions of the values present, read at the edges.
 * @internal
 */

/** Shares below this count as this: an empty bin would make the PSI infinite. */
export const PSI_FLOOR = 1e-4;

/**
 * PSI = Σ (q - p) ln(q / p) over the bins and the missing-value bin, p the reference's share and
 * q the window's, each floored at PSI_FLOOR; NaN when the window is empty.
 * `counts` arrays hold the bins then the missing count.
 */
export function psi(reference: ArrayLike<number>, window: ArrayLike<number>): number {
  const total = (a: ArrayLike<number>) => {
    let s = 0;
    for (let i = 0; i < a.length; i++) s += a[i] as number;
    return s;
  };
  const nr = total(reference);
  const nw = total(window);
  if (nr === 0 || nw === 0) return Number.NaN;
  let sum = 0;
  for (let i = 0; i < reference.length; i++) {
    const p = Math.max((reference[i] as number) / nr, PSI_FLOOR);
    const q = Math.max((window[i] as number) / nw, PSI_FLOOR);
    sum += (q - p) * Math.log(q / p);
  }
  return sum;
}

/**
 * The largest gap between the two cumulative distributions of the values present (missing
 * values left out), at the bin edges: the Kolmogorov-Smirnov statistic as the bins can see it
 * (a lower bound of the exact one). null when either side has no value present.
 */
export function ks(reference: ArrayLike<number>, window: ArrayLike<number>): number | null {
  const bins = reference.length - 1;
  let nr = 0;
  let nw = 0;
  for (let i = 0; i < bins; i++) {
    nr += reference[i] as number;
    nw += window[i] as number;
  }
  if (nr === 0 || nw === 0) return null;
  let cr = 0;
  let cw = 0;
  let worst = 0;
  for (let i = 0; i < bins - 1; i++) {
    cr += reference[i] as number;
    cw += window[i] as number;
    worst = Math.max(worst, Math.abs(cr / nr - cw / nw));
  }
  return worst;
}

/** The missing values' share of the counts (bins then missing); NaN when empty. */
export function missingShare(counts: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i] as number;
  return total === 0 ? Number.NaN : (counts[counts.length - 1] as number) / total;
}
