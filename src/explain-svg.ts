/**
 * A small SVG of one row's explanation, read like a SHAP waterfall: from the expected value at
 * the bottom, each feature's contribution as a bar (red up, blue down), largest at the top, to the
 * model's output. Self-contained (no fonts or scripts loaded), for a person to look at.
 */
import type { Explanation } from './explain.js';

/** How the waterfall is drawn. */
export interface WaterfallOptions {
  /** Which output of the row (default 0). */
  output?: number;
  /** Features drawn one by one; the rest are summed into one bar (default 10). */
  features?: number;
  /** The row's input values, shown beside the feature names. */
  values?: ArrayLike<number>;
  /** A title (default: the output's name and its value). */
  title?: string;
  /** Width in pixels (default 760). */
  width?: number;
}

const escape = (s: string) => s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
const fmt = (v: number) => (Math.abs(v) >= 1000 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(3) : v.toFixed(4));
const signed = (v: number) => (v >= 0 ? `+${fmt(v)}` : `\u2212${fmt(-v)}`);

/**
 * The waterfall of row `row` of `explanation`, as SVG text.
 * @example
 * writeFileSync('why.svg', waterfallSvg(ensemble.explain([latest]), 0, { values: latest }));
 */
export function waterfallSvg(explanation: Explanation<string>, row: number, options: WaterfallOptions = {}): string {
  const output = options.output ?? 0;
  const contributions = explanation.row(row, output);
  const base = explanation.expectedValue[row * explanation.outputs + output] as number;
  const keep = Math.max(1, Math.min(options.features ?? 10, explanation.nFeatures));
  const order = explanation.featureNames.map((_, j) => j).sort((a, b) => Math.abs(contributions[b] as number) - Math.abs(contributions[a] as number));
  const bars: { label: string; value: number }[] = order.slice(0, keep).map((j) => {
    const v = options.values?.[j];
    const name = explanation.featureNames[j] as string;
    return { label: v === undefined ? name : `${name} = ${fmt(v)}`, value: contributions[j] as number };
  });
  const rest = order.slice(keep);
  if (rest.length > 0) {
    bars.push({ label: `${rest.length} other feature${rest.length > 1 ? 's' : ''}`, value: rest.reduce((s, j) => s + (contributions[j] as number), 0) });
  }
  // Cumulative from the base, smallest first, so the top bar ends at the output.
  const steps = [...bars].reverse();
  let at = base;
  const spans = steps.map((b) => {
    const from = at;
    at += b.value;
    return { ...b, from, to: at };
  });
  const total = at;
  const lo = Math.min(base, total, ...spans.map((s) => Math.min(s.from, s.to)));
  const hi = Math.max(base, total, ...spans.map((s) => Math.max(s.from, s.to)));
  const pad = (hi - lo) * 0.08 || Math.abs(hi) * 0.01 || 1;
  const width = options.width ?? 760;
  const left = 230;
  const right = width - 90;
  const rowH = 26;
  const top = 54;
  const height = top + spans.length * rowH + 56;
  const x = (v: number) => left + ((v - (lo - pad)) / (hi - lo + 2 * pad)) * (right - left);
  const title = options.title ?? `${explanation.outputNames[output]} = ${fmt(total)} (${explanation.space})`;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${escape(title)}</text>`,
    `<text x="${width / 2}" y="40" text-anchor="middle" fill="#555">expected value ${fmt(base)}; each bar is one feature's contribution</text>`,
  ];
  // Drawn top to bottom: the last step (largest) first.
  spans.reverse().forEach((s, i) => {
    const y = top + i * rowH;
    const x0 = x(Math.min(s.from, s.to));
    const w = Math.max(1, Math.abs(x(s.to) - x(s.from)));
    const color = s.value >= 0 ? '#d62728' : '#1f77b4';
    parts.push(
      `<text x="${left - 8}" y="${y + 16}" text-anchor="end">${escape(s.label)}</text>`,
      `<rect x="${x0.toFixed(1)}" y="${y + 4}" width="${w.toFixed(1)}" height="${rowH - 8}" fill="${color}"/>`,
      `<text x="${(Math.max(x(s.from), x(s.to)) + 4).toFixed(1)}" y="${y + 16}" fill="${color}">${escape(signed(s.value))}</text>`,
    );
  });
  const axis = top + spans.length * rowH + 8;
  parts.push(
    `<line x1="${left}" y1="${axis}" x2="${right}" y2="${axis}" stroke="#333"/>`,
    `<line x1="${x(base).toFixed(1)}" y1="${top}" x2="${x(base).toFixed(1)}" y2="${axis}" stroke="#999" stroke-dasharray="3,3"/>`,
    `<text x="${x(base).toFixed(1)}" y="${axis + 16}" text-anchor="middle" fill="#555">E = ${escape(fmt(base))}</text>`,
    `<line x1="${x(total).toFixed(1)}" y1="${top}" x2="${x(total).toFixed(1)}" y2="${axis}" stroke="#333" stroke-dasharray="3,3"/>`,
    `<text x="${x(total).toFixed(1)}" y="${axis + 32}" text-anchor="middle" font-weight="bold">f(x) = ${escape(fmt(total))}</text>`,
    '</svg>',
  );
  return `${parts.join('\n')}\n`;
}
