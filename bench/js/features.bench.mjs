// Where to compute the 12 technical features: the native core (through the package's API) or
// straightforward JavaScript (features-js.mjs). Each contender runs in a fresh process on the
// same N synthetic candles (seeded random walk), 3 timed runs, median printed in rows/s. Before
// timing, the JS contender is checked bit for bit against the native one.
// Usage: npm run build && node bench/js/features.bench.mjs [candles=10000000]
// (PRODUCTION_ENSEMBLE_ADDON=<path to .node> selects another addon build.)
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { computeFeaturesJs } from './features-js.mjs';

const self = fileURLToPath(import.meta.url);
const pkg = await import(join(import.meta.dirname, '..', '..', 'dist', 'index.js'));

/** N candles: a random walk with 1% hourly log-return noise, reproducible across processes. */
function candles(n) {
  let s = 0x9e3779b9;
  const rand = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return ((s >>> 0) + 0.5) / 4294967296;
  };
  const normal = () => Math.sqrt(-2 * Math.log(rand())) * Math.cos(2 * Math.PI * rand());
  const open = new Float64Array(n), high = new Float64Array(n), low = new Float64Array(n);
  const close = new Float64Array(n), volume = new Float64Array(n);
  let p = 30000;
  for (let i = 0; i < n; i++) {
    const o = p;
    p = Math.round(p * Math.exp(0.01 * normal()) * 100) / 100;
    open[i] = o;
    close[i] = p;
    high[i] = Math.max(o, p) * (1 + 0.003 * rand());
    low[i] = Math.min(o, p) * (1 - 0.003 * rand());
    volume[i] = Math.round(1e4 * (50 + 100 * rand())) / 1e4;
  }
  return { open, high, low, close, volume };
}

const contenders = {
  'native computeFeatures': (c) => pkg.computeFeatures(c).rows,
  'native pushColumns, 65,536-candle chunks': (c) => {
    const tf = new pkg.TechnicalFeatures();
    const n = c.close.length;
    let rows = 0;
    for (let b = 0; b < n; b += 65536) {
      const e = Math.min(n, b + 65536);
      const chunk = Object.fromEntries(Object.entries(c).map(([k, v]) => [k, v.subarray(b, e)]));
      rows += tf.pushColumns(chunk).rows;
    }
    return rows;
  },
  'native push, one candle per call': (c) => {
    const tf = new pkg.TechnicalFeatures();
    const { open, high, low, close, volume } = c;
    let rows = 0;
    for (let i = 0; i < close.length; i++) {
      if (tf.push({ open: open[i], high: high[i], low: low[i], close: close[i], volume: volume[i] })) rows++;
    }
    return rows;
  },
  'native push, one candle per call, reused out': (c) => {
    const tf = new pkg.TechnicalFeatures();
    const { open, high, low, close, volume } = c;
    const out = new Float64Array(12);
    let rows = 0;
    for (let i = 0; i < close.length; i++) {
      if (tf.push({ open: open[i], high: high[i], low: low[i], close: close[i], volume: volume[i] }, out)) rows++;
    }
    return rows;
  },
  'JavaScript (features-js.mjs)': (c) => computeFeaturesJs(c).rows,
};

if (process.argv[2] === '--run') {
  const name = process.argv[3];
  const n = Number(process.argv[4]);
  const c = candles(n);
  const times = [];
  for (let k = 0; k < 3; k++) {
    const t = performance.now();
    const rows = contenders[name](c);
    times.push((performance.now() - t) / 1000);
    if (rows !== n - 49) throw new Error(`${name}: ${rows} rows`);
  }
  times.sort((a, b) => a - b);
  process.stdout.write(JSON.stringify({ median: times[1], times }));
} else {
  const n = Number(process.argv[2] ?? 10_000_000);
  // Same bits before any timing.
  const check = candles(200_000);
  const a = pkg.computeFeatures(check).features;
  const b = computeFeaturesJs(check).features;
  const same = Buffer.from(a.buffer).equals(Buffer.from(b.buffer));
  console.log(`JS vs native on 200,000 candles: ${same ? 'bit-identical' : 'DIFFERENT'}`);
  if (!same) process.exit(1);
  console.log(`${n.toLocaleString('en')} candles, median of 3 runs, node ${process.version}`);
  for (const name of Object.keys(contenders)) {
    const out = execFileSync(process.execPath, [self, '--run', name, String(n)], { encoding: 'utf8', maxBuffer: 1 << 20 });
    const { median, times } = JSON.parse(out);
    console.log(
      `${name.padEnd(46)} ${median.toFixed(3)} s  ${Math.round(n / median).toLocaleString('en').padStart(12)} candles/s` +
        `  (runs ${times.map((t) => t.toFixed(3)).join(', ')})`,
    );
  }
}
