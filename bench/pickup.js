'use strict';
/**
 * Pickup latency: how long a purchase made on an instance waits before that instance's
 * processor takes it. One instance, processor on, PPOB_SIM_DELAY_MS=0, purchases paced at
 * BENCH_PICKUP_RATE per second for BENCH_PICKUP_SECONDS (one user per purchase slot, round
 * robin over 20 users).
 *
 * pickup = ppob_sim_eksekusi.waktu - transaksi.waktu (both DATETIME(3), both written by the
 * app's clock). transaksi.waktu is taken inside /beli's transaction before its INSERT, and the
 * simulated provider writes its row after the (zero) delay, after the claim transaction, the
 * row reload and the idempotency look-up: so this is an upper bound on purchase-to-claim.
 * When the service exposes the histogram ppob_transaksi_pickup_seconds on GET /metrics, its
 * p50/p99 (interpolated within buckets) are reported too.
 */
const lib = require('./lib');

function config() {
  return {
    rate: Number(process.env.BENCH_PICKUP_RATE ?? 50),
    seconds: Number(process.env.BENCH_PICKUP_SECONDS ?? 10),
    rounds: Number(process.env.BENCH_PICKUP_ROUNDS ?? process.env.BENCH_ROUNDS ?? 2),
  };
}

/** Parses a Prometheus histogram from the text exposition; null when absent. */
function parseHistogram(text, name) {
  const buckets = [];
  let count = null;
  let sum = null;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name}_bucket{`)) {
      const m = /le="([^"]+)"\}\s+([0-9.eE+-]+)/.exec(line);
      if (m) buckets.push({ le: m[1] === '+Inf' ? Infinity : Number(m[1]), n: Number(m[2]) });
    } else if (line.startsWith(`${name}_count`)) count = Number(line.split(/\s+/).pop());
    else if (line.startsWith(`${name}_sum`)) sum = Number(line.split(/\s+/).pop());
  }
  if (buckets.length === 0 || count === null) return null;
  // Several label sets would repeat the le values; sum them per le.
  const byLe = new Map();
  for (const b of buckets) byLe.set(b.le, (byLe.get(b.le) ?? 0) + b.n);
  return { buckets: [...byLe].map(([le, n]) => ({ le, n })).sort((a, b) => a.le - b.le), count, sum };
}

/** Quantile from cumulative buckets, linear within a bucket (as PromQL histogram_quantile). */
function histogramQuantile(h, q) {
  const total = h.buckets[h.buckets.length - 1].n;
  if (!total) return NaN;
  const rank = q * total;
  let prevLe = 0;
  let prevN = 0;
  for (const b of h.buckets) {
    if (b.n >= rank) {
      if (b.le === Infinity) return prevLe;
      return prevLe + ((b.le - prevLe) * (rank - prevN)) / Math.max(1, b.n - prevN);
    }
    prevLe = b.le;
    prevN = b.n;
  }
  return prevLe;
}

function diffHistogram(after, before) {
  if (!before) return after;
  const prev = new Map(before.buckets.map((b) => [b.le, b.n]));
  return { buckets: after.buckets.map((b) => ({ le: b.le, n: b.n - (prev.get(b.le) ?? 0) })), count: after.count - before.count, sum: after.sum - before.sum };
}

async function readMetric(base) {
  try {
    const res = await fetch(`${base}/metrics`);
    if (!res.ok) return null;
    return parseHistogram(await res.text(), 'ppob_transaksi_pickup_seconds');
  } catch {
    return null;
  }
}

async function pickupOnce(cfg, round, rss) {
  const db = await lib.createDatabase('pickup');
  const pool = lib.sqlPool(db);
  let inst;
  try {
    inst = await lib.startInstance({ DATABASE_URL: db.url, PROCESSOR_ENABLED: 'true', PPOB_SIM_DELAY_MS: '0' }, { label: 'service (pickup)' });
    rss.track(inst, 'service, pickup phase');
    const users = await lib.registerUsers(inst.base, 20, 1_000_000_000_000, `pick${round}x${Date.now().toString(36)}`);
    // Warm-up: a few purchases so the first paced ones do not pay for cold code paths.
    for (let i = 0; i < 20; i++) await lib.post(inst.base, '/beli', { produk_id: 1, nomor_tujuan: '081400000000' }, users[i % users.length].key);
    await lib.sleep(500);
    const [[{ warm }]] = await pool.query('SELECT MAX(id) AS warm FROM transaksi');
    const metricBefore = await readMetric(inst.base);

    const total = cfg.rate * cfg.seconds;
    const intervalMs = 1000 / cfg.rate;
    const beliMs = [];
    const pending = [];
    const started = performance.now();
    for (let i = 0; i < total; i++) {
      const due = started + i * intervalMs;
      const wait = due - performance.now();
      if (wait > 0) await lib.sleep(wait);
      const t = performance.now();
      pending.push(
        lib.post(inst.base, '/beli', { produk_id: 1 + (i % 3), nomor_tujuan: `0814${String(i).padStart(8, '0')}` }, users[i % users.length].key).then(({ status, json }) => {
          if (status !== 200) throw new Error(`/beli ${status}: ${JSON.stringify(json)}`);
          beliMs.push(performance.now() - t);
        }),
      );
    }
    await Promise.all(pending);
    const deadline = Date.now() + 60_000;
    for (;;) {
      const open = await lib.openCount(pool);
      if (Number(open) === 0) break;
      if (Date.now() > deadline) throw new Error("transaksi still open 60 s after the last purchase");
      await lib.sleep(100);
    }
    const [rows] = await pool.query(
      `SELECT TIMESTAMPDIFF(MICROSECOND, t.waktu, e.waktu) / 1000 AS ms
         FROM transaksi t JOIN ppob_sim_eksekusi e ON e.transaksi_id = t.id
        WHERE t.id > ?`,
      [warm],
    );
    const pickup = rows.map((r) => Number(r.ms)).sort((a, b) => a - b);
    if (pickup.length !== total) throw new Error(`expected ${total} executions, found ${pickup.length}`);
    beliMs.sort((a, b) => a - b);
    const metricAfter = await readMetric(inst.base);
    let metric = null;
    if (metricAfter) {
      const h = diffHistogram(metricAfter, metricBefore);
      metric = { count: h.count, p50: histogramQuantile(h, 0.5) * 1000, p99: histogramQuantile(h, 0.99) * 1000 };
    }
    rss.final(inst);
    return {
      round,
      n: pickup.length,
      p50: lib.percentile(pickup, 50),
      p99: lib.percentile(pickup, 99),
      max: pickup[pickup.length - 1],
      beliP50: lib.percentile(beliMs, 50),
      beliP99: lib.percentile(beliMs, 99),
      metric,
    };
  } catch (err) {
    if (inst) console.error(`pickup instance stderr:\n${inst.stderrText().slice(-3000)}`);
    throw err;
  } finally {
    await inst?.stop();
    await pool.end();
    await db.drop();
  }
}

async function run(rss) {
  const cfg = config();
  console.log(`\n== Pickup latency: one instance, processor on, PPOB_SIM_DELAY_MS=0, ${cfg.rate} purchases/s for ${cfg.seconds} s, ${cfg.rounds} round(s)`);
  const results = [];
  for (let round = 1; round <= cfg.rounds; round++) {
    const r = await pickupOnce(cfg, round, rss);
    results.push(r);
    console.log(
      `  round ${round}: pickup p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms, max ${r.max.toFixed(1)} ms (n=${r.n}; /beli p50 ${r.beliP50.toFixed(1)} ms, p99 ${r.beliP99.toFixed(1)} ms)` +
        (r.metric ? `; /metrics ppob_transaksi_pickup_seconds p50 ${r.metric.p50.toFixed(1)} ms, p99 ${r.metric.p99.toFixed(1)} ms (n=${r.metric.count})` : '; no ppob_transaksi_pickup_seconds on /metrics'),
    );
  }
  return { config: cfg, results };
}

module.exports = { run, parseHistogram, histogramQuantile };
