'use strict';
/**
 * Issue 12's rows: GET /produk signed vs unsigned, with rate limiting on vs off, and the drain of
 * a backlog of due callbacks to a local receiver.
 *
 * - HTTP rows: autocannon against a service counting in memory and one counting in Redis
 *   (BENCH_RATE_LIMIT_REDIS=0 leaves it out; BENCH_REDIS_URL, default redis://127.0.0.1:6379).
 *   Each has a reseller whose limit no client reaches (counted) and one with the operator's
 *   override 0 (not counted), so "limits on ÷ off" compares two resellers of one process.
 *   One cell after the other in each round (reversed every other round); bench/report.js
 *   compares cells within a round.
 *   Signed requests take a fresh nonce and signature each, computed before the run (so the
 *   client's HMACs do not take CPU from the server on the same cores).
 * - Drain: BENCH_CALLBACK_EVENTS events are inserted held back (status 'bench_hold', which no
 *   claim selects), then released in one UPDATE; the rate is events / (last attempt - first
 *   attempt) from callback_attempt's own times, the wall time from release to "all sukses" beside it.
 * Sizes: BENCH_PARTNER_DURATION_S (default 5), BENCH_PARTNER_WARMUP_S (2), BENCH_PARTNER_ROUNDS (3),
 * BENCH_CALLBACK_EVENTS (default 10000).
 */
const { randomBytes } = require('node:crypto');
const http = require('node:http');
const mysql = require('mysql2/promise');
const lib = require('./lib');
const { cannon } = require('./http-compare');

/** The HTTP cells; bench/report.js reads them by these names. */
const ROWS = {
  unsigned: 'GET /produk unsigned, limits off',
  signed: 'GET /produk signed, limits off',
  limited: 'GET /produk unsigned, limits on (memory)',
  unsignedRedis: 'GET /produk unsigned, limits off (Redis instance)',
  limitedRedis: 'GET /produk unsigned, limits on (Redis)',
};
/** What each cell is compared with, in the same round. */
const BASE_OF = { [ROWS.signed]: ROWS.unsigned, [ROWS.limited]: ROWS.unsigned, [ROWS.limitedRedis]: ROWS.unsignedRedis };

/** Signed headers computed before a run, per second of it (more than one instance serves). */
const SIGNED_PER_S = 20_000;

function config() {
  return {
    durationS: Number(process.env.BENCH_PARTNER_DURATION_S ?? 5),
    warmupS: Number(process.env.BENCH_PARTNER_WARMUP_S ?? 2),
    connections: Number(process.env.BENCH_CONNECTIONS ?? 32),
    // Short cells, several rounds: the ratios are what counts, and this machine's speed drifts.
    rounds: Number(process.env.BENCH_PARTNER_ROUNDS ?? 3),
    events: Number(process.env.BENCH_CALLBACK_EVENTS ?? 10_000),
    // Redis is where production counts; BENCH_RATE_LIMIT_REDIS=0 leaves that row out.
    redis: process.env.BENCH_RATE_LIMIT_REDIS !== '0',
    redisUrl: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379',
  };
}

async function register(base, tag) {
  const email = `partner-${tag}-${Date.now()}@bench.example.com`;
  const { status, json } = await lib.post(base, '/register', { nama: `bench partner ${tag}`, email });
  if (status !== 200) throw new Error(`register ${status}: ${JSON.stringify(json)}`);
  return { key: json.api_key, privateKey: json.private_key, email };
}

/** GET /produk as `user`; signed requests take precomputed headers, so the client's HMACs are not measured. */
function produkRequest(user, signed, cfg) {
  const next = signed ? lib.signedHeaderSource(user, 'GET', '/produk', Math.ceil((cfg.warmupS + cfg.durationS) * SIGNED_PER_S)) : null;
  return {
    method: 'GET',
    path: '/produk',
    setupRequest: (req) => {
      req.headers = { ...req.headers, ...(next ? next() : { 'x-api-key': user.key }) };
      return req;
    },
  };
}

/** A counter's value on GET /metrics (0 when absent). */
async function counter(base, name) {
  const text = await (await fetch(`${base}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.split(' ')[1]) : 0;
}

async function measure(name, base, pid, request, cfg) {
  if (cfg.warmupS > 0) await cannon(base, request, cfg.connections, cfg.warmupS);
  const cpuBefore = lib.cpuTimeMs(pid);
  const [claims0, statements0] = await Promise.all([counter(base, 'ppob_request_nonce_claims_total'), counter(base, 'ppob_request_nonce_statements_total')]);
  const r = await cannon(base, request, cfg.connections, cfg.durationS);
  const cpuPerReq = (lib.cpuTimeMs(pid) - cpuBefore) / Math.max(1, r.requests.total);
  const [claims1, statements1] = await Promise.all([counter(base, 'ppob_request_nonce_claims_total'), counter(base, 'ppob_request_nonce_statements_total')]);
  const noncesPerStatement = statements1 > statements0 ? (claims1 - claims0) / (statements1 - statements0) : null;
  const bad = r.non2xx + r.errors + r.timeouts;
  if (bad > 0) console.warn(`  ! ${name}: ${bad} failed (codes ${JSON.stringify(r.statusCodeStats)})`);
  const batch = noncesPerStatement === null ? '' : `  nonces/INSERT ${noncesPerStatement.toFixed(1)}`;
  console.log(`  ${name.padEnd(40)} ${r.requests.average.toFixed(0).padStart(6)} req/s  p99 ${String(r.latency.p99).padStart(4)} ms  CPU ${cpuPerReq.toFixed(3)} ms/req${batch}`);
  return { name, rps: r.requests.average, p99: r.latency.p99, cpuPerReq, noncesPerStatement, bad };
}

const ADMIN_KEY = 'bench-admin-key-'.padEnd(40, 'x');

/**
 * A reseller on `inst` whose own limit is `perMinute` (the operator's override; 0 = unlimited):
 * so "limits on" and "limits off" are two resellers of one process, and the ratio is the cost
 * of counting, not the difference between two processes.
 */
async function reseller(inst, tag, perMinute) {
  const user = await register(inst.base, tag);
  const found = await (await fetch(`${inst.base}/admin/users?email=${encodeURIComponent(user.email)}`, { headers: { 'x-admin-key': ADMIN_KEY } })).json();
  const id = found[0]?.id;
  if (!id) throw new Error(`GET /admin/users did not find ${user.email}: ${JSON.stringify(found)}`);
  const res = await fetch(`${inst.base}/admin/users/${id}`, { method: 'PATCH', headers: { 'x-admin-key': ADMIN_KEY, 'content-type': 'application/json' }, body: JSON.stringify({ rate_limit_per_minute: perMinute }) });
  if (res.status !== 200) throw new Error(`PATCH /admin/users/${id} ${res.status}: ${await res.text()}`);
  return user;
}

async function httpRows(cfg, rss) {
  const db = await lib.createDatabase('partner');
  // RATE_LIMIT_PER_MINUTE: a limit no client reaches; the "off" reseller has its own 0.
  const env = { DATABASE_URL: db.url, PROCESSOR_ENABLED: 'false', CALLBACK_ENABLED: 'false', RATE_LIMIT_PER_MINUTE: '10000000', ADMIN_API_KEYS: ADMIN_KEY };
  const instances = [];
  const results = [];
  try {
    const start = async (extra, label) => {
      const inst = await lib.startInstance({ ...env, ...extra }, { label });
      instances.push(inst);
      return inst;
    };
    const memory = await start({}, 'service (counters in memory)');
    rss.track(memory, 'service, partner cells');
    const redis = cfg.redis ? await start({ REDIS_URL: cfg.redisUrl, RATE_LIMIT_REDIS_PREFIX: `ppob-bench:${process.pid}:` }, 'service (counters in Redis)') : null;
    const cells = [[ROWS.unsigned, memory, await reseller(memory, 'free', 0), false]];
    cells.push([ROWS.signed, memory, cells[0][2], true]);
    cells.push([ROWS.limited, memory, await reseller(memory, 'counted', null), false]);
    if (redis) {
      cells.push([ROWS.unsignedRedis, redis, await reseller(redis, 'rfree', 0), false]);
      cells.push([ROWS.limitedRedis, redis, await reseller(redis, 'rcounted', null), false]);
    }
    for (let round = 1; round <= cfg.rounds; round++) {
      // Every other round in reverse, so a drift of the machine's speed during a round does not
      // always favour the same cell; the ratios are taken within a round.
      const order = round % 2 === 1 ? cells : [...cells].reverse();
      for (const [name, inst, user, signed] of order) results.push({ round, ...(await measure(name, inst.base, inst.pid, produkRequest(user, signed, cfg), cfg)) });
    }
  } finally {
    await Promise.all(instances.map((inst) => inst.stop()));
    await db.drop();
  }
  return results;
}

async function drain(cfg, rss) {
  const receiver = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(204).end());
  });
  await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${receiver.address().port}/hook`;
  const db = await lib.createDatabase('callbacks');
  let svc;
  try {
    // Dispatcher off while seeding; the measured instance starts with it on.
    const seed = await lib.startInstance({ DATABASE_URL: db.url, PROCESSOR_ENABLED: 'false', CALLBACK_ENABLED: 'false', CALLBACK_ALLOW_PRIVATE: 'true' }, { label: 'seed' });
    const user = await register(seed.base, 'cb');
    const put = await fetch(`${seed.base}/callback`, { method: 'PUT', headers: { 'x-api-key': user.key, 'content-type': 'application/json' }, body: JSON.stringify({ url }) });
    if (put.status !== 200) throw new Error(`PUT /callback ${put.status}`);
    await seed.stop();
    const pool = mysql.createPool({ uri: db.url, connectionLimit: 2 });
    try {
      const [[{ id: userId }]] = await pool.query('SELECT user_id AS id FROM callback_endpoint LIMIT 1');
      const payload = JSON.stringify({ type: 'transaksi.sukses', timestamp: new Date().toISOString(), data: { id: 1, ref_id: 'x'.repeat(32), produk_id: 1, nomor_tujuan: '087800000001', nominal: 10000, harga: 12000, status: 'sukses', waktu: new Date().toISOString(), updated_at: new Date().toISOString(), hasil_eksekusi: 'Sukses. SN: 01234567890100000017', saldo: 88000 } });
      for (let start = 0; start < cfg.events; start += 1000) {
        const rows = [];
        for (let i = start; i < Math.min(cfg.events, start + 1000); i++) rows.push([`msg_bench_${i}_${randomBytes(6).toString('hex')}`, userId, null, 'transaksi.sukses', payload, url, 'bench_hold', 0, '2000-01-01 00:00:00.000', '2000-01-01 00:00:00.000', '2000-01-01 00:00:00.000']);
        await pool.query('INSERT INTO callback_event (msg_id, user_id, transaksi_id, type, payload, url, status, attempts, next_at, created_at, updated_at) VALUES ?', [rows]);
      }
      svc = await lib.startInstance({ DATABASE_URL: db.url, PROCESSOR_ENABLED: 'false', CALLBACK_ALLOW_PRIVATE: 'true', CALLBACK_INTERVAL_MS: '50' }, { label: 'service (callbacks)' });
      rss.track(svc, 'service, callback drain');
      const released = Date.now();
      await pool.query("UPDATE callback_event SET status = 'pending' WHERE status = 'bench_hold'");
      for (;;) {
        const [[{ n }]] = await pool.query("SELECT COUNT(*) AS n FROM callback_event WHERE status <> 'sukses'");
        if (Number(n) === 0) break;
        if (Date.now() - released > 300_000) throw new Error(`${n} callbacks still not delivered after 300 s`);
        await new Promise((r) => setTimeout(r, 50));
      }
      const wallMs = Date.now() - released;
      const [[span]] = await pool.query('SELECT MIN(waktu) AS first, MAX(waktu) AS last, COUNT(*) AS attempts FROM callback_attempt');
      const spanMs = Math.max(1, new Date(span.last).getTime() - new Date(span.first).getTime());
      const result = { events: cfg.events, attempts: Number(span.attempts), rate: cfg.events / (spanMs / 1000), wallMs };
      console.log(`  callback backlog ${cfg.events} events: ${result.rate.toFixed(0)} deliveries/s (attempts ${result.attempts}, wall ${wallMs} ms from release)`);
      return result;
    } finally {
      await pool.end();
    }
  } finally {
    await svc?.stop();
    await db.drop();
    receiver.close();
  }
}

async function run(rss) {
  const cfg = config();
  console.log(`\n== Partner API (issue 12): ${cfg.connections} connections, ${cfg.durationS} s per run, ${cfg.rounds} round(s); callback backlog ${cfg.events}`);
  const http = await httpRows(cfg, rss);
  const callbacks = await drain(cfg, rss);
  return { config: cfg, results: http, callbacks };
}

module.exports = { run, ROWS, BASE_OF };
