// Many symbols' features in one input: a JS Map of TechnicalFeatures (one pushColumns call per run
// of one symbol's rows in a block) against the native KeyedFeatureStream (one call per block),
// for symbols sorted (long runs) and interleaved by time (runs of one row). Median of 3 in one
// process; docs/features.md quotes it. Usage: node bench/js/keyed-features.bench.mjs [symbols=1000] [perSymbol=1000]
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..', '..');
const { TechnicalFeatures } = await import(join(root, 'dist', 'index.js'));
const { binding } = await import(join(root, 'dist', 'binding.js'));
const symbols = Number(process.argv[2] ?? 1000);
const perSymbol = Number(process.argv[3] ?? 1000);
const n = symbols * perSymbol;
const BLOCK = 65_536;

function make(interleaved) {
  const cols = Array.from({ length: 5 }, () => new Float64Array(n));
  const key = new Uint32Array(n);
  const price = Float64Array.from({ length: symbols }, (_, s) => 20 + s);
  for (let i = 0; i < n; i++) {
    const s = interleaved ? i % symbols : Math.floor(i / perSymbol);
    const o = price[s];
    price[s] = o * (1 + (Math.random() - 0.5) * 0.004);
    key[i] = s;
    cols[0][i] = o;
    cols[1][i] = Math.max(o, price[s]) * 1.001;
    cols[2][i] = Math.min(o, price[s]) * 0.999;
    cols[3][i] = price[s];
    cols[4][i] = 100 + Math.random() * 1000;
  }
  return { cols, key };
}

function jsMap({ cols, key }) {
  const streams = new Map();
  let rows = 0;
  for (let b = 0; b < n; b += BLOCK) {
    const end = Math.min(n, b + BLOCK);
    for (let a = b; a < end; ) {
      const k = key[a];
      let z = a + 1;
      while (z < end && key[z] === k) z++;
      let tf = streams.get(k);
      if (!tf) streams.set(k, (tf = new TechnicalFeatures()));
      const [open, high, low, close, volume] = cols.map((c) => c.subarray(a, z));
      rows += tf.pushColumns({ open, high, low, close, volume }).rows;
      a = z;
    }
  }
  return rows;
}

function keyed({ cols, key }) {
  const stream = new (binding().addon.KeyedFeatureStream)();
  const out = new Float64Array(BLOCK * 12);
  const scored = new Uint8Array(BLOCK);
  let rows = 0;
  for (let b = 0; b < n; b += BLOCK) {
    const end = Math.min(n, b + BLOCK);
    const [open, high, low, close, volume] = cols.map((c) => c.subarray(b, end));
    rows += stream.pushColumns(key.subarray(b, end), open, high, low, close, volume, false, out, scored).rows;
  }
  return rows;
}

console.log(`| ${symbols} symbols × ${perSymbol} candles | median s | candles/s |\n|---|---|---|`);
for (const interleaved of [false, true]) {
  const data = make(interleaved);
  for (const [name, fn] of [['JS Map of TechnicalFeatures', jsMap], ['native KeyedFeatureStream', keyed]]) {
    const times = [];
    let rows = 0;
    for (let k = 0; k < 3; k++) {
      const t = performance.now();
      rows = fn(data);
      times.push((performance.now() - t) / 1000);
    }
    if (rows !== n - symbols * 49) throw new Error(`${name}: ${rows} rows`);
    times.sort((a, b) => a - b);
    console.log(`| ${interleaved ? 'interleaved' : 'sorted'}, ${name} | ${times[1].toFixed(3)} | ${Math.round(n / times[1]).toLocaleString('en')} |`);
  }
}
