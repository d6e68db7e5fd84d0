// The straightforward JavaScript implementation of the 12 features (docs/features.md), the
// contender the native core is measured against in features.bench.mjs. Same operations in the
// same order as tools/features.py (20-bar sums in numpy's pairwise order), so it gives the same
// bits; no input checks. Not shipped: the package computes features natively (src/features.ts).

const W = 20;
const WARMUP = 49;
const ema = (n) => [2 / (n + 1), 1 - 2 / (n + 1)];
const [A12, K12] = ema(12);
const [A26, K26] = ema(26);
const [A20, K20] = ema(20);
const [A50, K50] = ema(50);
const [A9, K9] = ema(9);

/** numpy's pairwise_sum for 20 values starting at a[i]. */
function sum20(a, i) {
  const r0 = a[i] + a[i + 8];
  const r1 = a[i + 1] + a[i + 9];
  const r2 = a[i + 2] + a[i + 10];
  const r3 = a[i + 3] + a[i + 11];
  const r4 = a[i + 4] + a[i + 12];
  const r5 = a[i + 5] + a[i + 13];
  const r6 = a[i + 6] + a[i + 14];
  const r7 = a[i + 7] + a[i + 15];
  return ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7)) + a[i + 16] + a[i + 17] + a[i + 18] + a[i + 19];
}

/**
 * @param {{high: Float64Array, low: Float64Array, close: Float64Array, volume: Float64Array}} cols
 * @param {boolean} nanWarmup
 * @returns {{features: Float64Array, rows: number, warmup: number}}
 */
export function computeFeaturesJs(cols, nanWarmup = false) {
  const { high, low, close, volume } = cols;
  const n = close.length;
  const warmup = Math.min(n, WARMUP);
  const rows = nanWarmup ? n : n - warmup;
  const out = new Float64Array(rows * 12);
  if (nanWarmup) out.fill(Number.NaN, 0, warmup * 12);
  const sq = new Float64Array(W);
  let e12 = 0, e26 = 0, e20 = 0, e50 = 0, sig = 0, gain = 0, loss = 0, tr = 0, run = 0;
  let o = nanWarmup ? warmup * 12 : 0;
  for (let t = 0; t < n; t++) {
    const c = close[t];
    const prev = t > 0 ? close[t - 1] : Number.NaN;
    if (t === 0) {
      e12 = e26 = e20 = e50 = c;
      sig = 0;
      run = 1;
    } else {
      e12 = A12 * c + K12 * e12;
      e26 = A26 * c + K26 * e26;
      e20 = A20 * c + K20 * e20;
      e50 = A50 * c + K50 * e50;
      sig = A9 * (e12 - e26) + K9 * sig;
      const d = c - prev;
      const g = d > 0 ? d : 0;
      const l = d < 0 ? -d : 0;
      const hl = high[t] - low[t];
      const hp = Math.abs(high[t] - prev);
      const lp = Math.abs(low[t] - prev);
      const m = hp >= lp ? hp : lp;
      const x = hl >= m ? hl : m;
      if (t < 14) {
        gain += g;
        loss += l;
        tr += x;
      } else if (t === 14) {
        gain = (gain + g) / 14;
        loss = (loss + l) / 14;
        tr = (tr + x) / 14;
      } else {
        gain = (gain * 13 + g) / 14;
        loss = (loss * 13 + l) / 14;
        tr = (tr * 13 + x) / 14;
      }
      run = c === prev ? run + 1 : 1;
    }
    if (t < WARMUP) continue;
    const s = t - 19;
    const mean = sum20(close, s) / 20;
    for (let k = 0; k < W; k++) {
      const d = close[s + k] - mean;
      sq[k] = d * d;
    }
    const sd = Math.sqrt(sum20(sq, 0) / 20);
    const upper = mean + 2 * sd;
    const lower = mean - 2 * sd;
    const flat = run >= W || upper === lower;
    const vmean = sum20(volume, s) / 20;
    const both = gain + loss;
    out[o] = c;
    out[o + 1] = volume[t];
    out[o + 2] = c / prev - 1;
    out[o + 3] = both > 0 ? (100 * gain) / both : 50;
    out[o + 4] = e12 - e26;
    out[o + 5] = sig;
    out[o + 6] = tr;
    out[o + 7] = flat ? 0.5 : (c - lower) / (upper - lower);
    out[o + 8] = e20;
    out[o + 9] = e50;
    out[o + 10] = flat ? 0 : (c - mean) / sd;
    out[o + 11] = vmean === 0 ? 1 : volume[t] / vmean;
    o += 12;
  }
  return { features: out, rows, warmup };
}
