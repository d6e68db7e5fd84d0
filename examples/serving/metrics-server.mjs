#!/usr/bin/env node
// A bot-shaped process with Prometheus metrics: the ensemble loaded from a model store (or a
// model directory) in watch mode, a champion / challenger set when --challenger is given, and
// /metrics served on the port you choose for Prometheus to scrape (the Grafana dashboard in
// examples/grafana/ reads these metrics). With --simulate it scores random rows at a steady rate
// and reports outcomes, so the dashboard has something to show.
//
//   npm install production-ensemble prom-client
//   node examples/serving/metrics-server.mjs --models models --port 9464 [--challenger models/v2] [--simulate]
//   curl http://127.0.0.1:9464/metrics
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import client from 'prom-client';
import { EnsembleSet, ProductionEnsemble, defaultModelDirectory, enableMetrics } from 'production-ensemble';

const { values: opts } = parseArgs({
  options: {
    models: { type: 'string', default: defaultModelDirectory },
    challenger: { type: 'string' },
    port: { type: 'string', default: '9464' },
    host: { type: 'string', default: '127.0.0.1' },
    simulate: { type: 'boolean', default: false },
    'rows-per-second': { type: 'string', default: '200' },
  },
});

// The application's own prom-client and Registry: the package registers its metrics there.
const register = new client.Registry();
client.collectDefaultMetrics({ register });
const metrics = enableMetrics({ register });

const champion = await ProductionEnsemble.load(opts.models, {
  watch: true,
  onReload: (r) => console.log(r.ok ? `serving ${r.version} (was ${r.previousVersion})` : `reload failed [${r.errorCode}]: ${r.error}`),
});
metrics.track(champion, 'champion');
let set;
let challenger;
if (opts.challenger) {
  challenger = await ProductionEnsemble.load(opts.challenger, { threads: 1 });
  metrics.track(challenger, 'challenger');
  set = new EnsembleSet({ name: 'champion', model: champion }, [{ name: 'challenger', model: challenger }], { canary: { challenger: 0.05 } });
  metrics.trackSet(set, 'bot');
}

const server = createServer(async (req, res) => {
  if (req.url !== '/metrics') {
    res.writeHead(404).end();
    return;
  }
  try {
    res.writeHead(200, { 'Content-Type': register.contentType }).end(await register.metrics());
  } catch (e) {
    res.writeHead(500).end(String(e));
  }
});
server.listen(Number(opts.port), opts.host, () => {
  const { port } = server.address();
  console.log(`metrics on http://${opts.host}:${port}/metrics (serving ${champion.version})`);
});

let timer;
if (opts.simulate) {
  // Random rows around the training data's scale, one call per row; the outcome of each row
  // (a coin flip here) is reported a second later, as a bot would once the next bar closes.
  const row = new Float64Array(champion.nFeatures);
  let id = 0;
  const every = Math.max(1, Math.round(1000 / Number(opts['rows-per-second'])));
  timer = setInterval(() => {
    for (let i = 0; i < row.length; i++) row[i] = Math.random() * 2 - 1;
    const key = `order-${id}`;
    const orderId = id++;
    if (set) {
      set.predictOne(row, { key, id: orderId });
      setTimeout(() => set.recordOutcome(orderId, Math.random() < 0.5 ? 1 : 0), 1000);
    } else {
      champion.predictOne(row);
    }
  }, every);
}

function stop() {
  clearInterval(timer);
  server.close();
  metrics.close();
  set?.close();
  challenger?.close();
  champion.close();
}
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
