'use strict';
/**
 * HTTP comparison: the built service against bench/baseline-server.js (Fastify + mysql2 by hand)
 * on the same database, different users, with autocannon: GET /produk, GET /status/{id},
 * POST /beli (unique ref_id per request), BENCH_CONNECTIONS connections, BENCH_DURATION_S
 * seconds each after BENCH_WARMUP_S of warm-up, BENCH_ROUNDS rounds with the order of the two
 * servers alternating between rounds. The service runs with PROCESSOR_ENABLED=false so both
 * sides do the same work; POST /beli with the processor on (zero delay) is measured afterwards
 * on a fresh database as an informational row. `POST /beli, one key` is the same purchase with
 * every connection on one reseller's key (both servers), so all of them queue on one saldo row.
 */
const autocannon = require('autocannon');
const lib = require('./lib');

const ROUTES = ['GET /produk', 'GET /status/{id}', 'POST /beli', 'POST /beli, one key'];
/** The largest reseller: every connection buys through the same key, so every purchase waits for the same saldo row. */
const ONE_KEY = 'POST /beli, one key';
const USERS_PER_SIDE = 64;
const STATUS_ROWS_PER_USER = 10;
const SALDO = 1_000_000_000_000; // the largest /register accepts; a 10 s /beli run spends < 0.1 % of it

function config() {
  return {
    rounds: Number(process.env.BENCH_ROUNDS ?? 2),
    durationS: Number(process.env.BENCH_DURATION_S ?? 10),
    warmupS: Number(process.env.BENCH_WARMUP_S ?? 2),
    connections: Number(process.env.BENCH_CONNECTIONS ?? 64),
    poolSize: Number(process.env.DATABASE_POOL_SIZE ?? 20),
    // BENCH_HTTP_ROUTES="POST /beli;POST /beli, one key" measures only those (a quick look at one route).
    routes: process.env.BENCH_HTTP_ROUTES ? process.env.BENCH_HTTP_ROUTES.split(';').map((r) => r.trim()) : ROUTES,
  };
}

let refCounter = 0;
const runTag = Date.now().toString(36);

/** autocannon request definition for one route against one side's users. */
function requestFor(route, side) {
  let i = 0;
  if (route === 'GET /produk') {
    return {
      method: 'GET',
      path: '/produk',
      setupRequest: (req) => {
        req.headers = { ...req.headers, 'x-api-key': side.users[i++ % side.users.length].key };
        return req;
      },
    };
  }
  if (route === 'GET /status/{id}') {
    return {
      method: 'GET',
      path: '/status/1',
      setupRequest: (req) => {
        const n = i++;
        const user = side.users[n % side.users.length];
        req.path = `/status/${user.ids[Math.floor(n / side.users.length) % user.ids.length]}`;
        req.headers = { ...req.headers, 'x-api-key': user.key };
        return req;
      },
    };
  }
  return {
    method: 'POST',
    path: '/beli',
    setupRequest: (req) => {
      const n = i++;
      const users = route === ONE_KEY ? side.oneKey : side.users;
      const user = users[n % users.length];
      const seq = ++refCounter;
      req.headers = { ...req.headers, 'content-type': 'application/json', 'x-api-key': user.key };
      req.body = JSON.stringify({ produk_id: 1 + (seq % 3), nomor_tujuan: `0812${String(seq % 1e8).padStart(8, '0')}`, ref_id: `bench-${runTag}-${seq}` });
      return req;
    },
  };
}

function cannon(base, request, connections, durationS) {
  return new Promise((resolve, reject) => {
    autocannon({ url: base, connections, duration: durationS, requests: [request], timeout: 30 }, (err, result) => (err ? reject(err) : resolve(result)));
  });
}

async function measure(side, route, cfg) {
  if (cfg.warmupS > 0) await cannon(side.base, requestFor(route, side), cfg.connections, cfg.warmupS);
  const cpuBefore = lib.cpuTimeMs(side.pid);
  const r = await cannon(side.base, requestFor(route, side), cfg.connections, cfg.durationS);
  const cpuMs = lib.cpuTimeMs(side.pid) - cpuBefore;
  const ok = r.statusCodeStats?.['200']?.count ?? 0;
  const bad = r.non2xx + r.errors + r.timeouts;
  if (bad > 0) {
    console.warn(`  ! ${side.name} ${route}: ${r.non2xx} non-2xx, ${r.errors} errors, ${r.timeouts} timeouts (codes ${JSON.stringify(r.statusCodeStats)})`);
  }
  return {
    side: side.name,
    route,
    rps: r.requests.average,
    ok,
    total: r.requests.total,
    bad,
    p50: r.latency.p50,
    p99: r.latency.p99,
    max: r.latency.max,
    // CPU time of the server process per request (user + system): robust to other load.
    cpuPerReq: cpuMs / Math.max(1, r.requests.total),
  };
}

/** Seeds STATUS_ROWS_PER_USER purchases per user through the side's own /beli; keeps their ids. */
async function seedStatusRows(side) {
  const jobs = side.users.flatMap((user) => Array.from({ length: STATUS_ROWS_PER_USER }, () => user));
  await lib.parallelLoop(jobs.length, 32, async (j) => {
    const user = jobs[j];
    const { status, json } = await lib.post(side.base, '/beli', { produk_id: 1, nomor_tujuan: '081234567890', ref_id: `seed-${runTag}-${side.name}-${j}` }, user.key);
    if (status !== 200) throw new Error(`${side.name} seed /beli ${status}: ${JSON.stringify(json)}`);
    (user.ids ??= []).push(json.id);
  });
}

async function run(rss) {
  const cfg = config();
  console.log(
    `\n== HTTP: service vs baseline, ${cfg.connections} connections, ${cfg.durationS} s per run after ${cfg.warmupS} s warm-up, ${cfg.rounds} round(s), pool ${cfg.poolSize} each`,
  );
  const results = [];
  const informational = [];
  const db = await lib.createDatabase('http');
  let service;
  let baseline;
  try {
    service = await lib.startInstance({ DATABASE_URL: db.url, PROCESSOR_ENABLED: 'false', DATABASE_POOL_SIZE: String(cfg.poolSize) }, { label: 'service (http)' });
    rss.track(service, 'service, HTTP phase (processor off)');
    baseline = await lib.startInstance({ DATABASE_URL: db.url, DATABASE_POOL_SIZE: String(cfg.poolSize) }, { script: 'bench/baseline-server.js', label: 'baseline' });
    const sides = {
      service: { name: 'service', base: service.base, pid: service.pid, users: await lib.registerUsers(service.base, USERS_PER_SIDE, SALDO, `svc${runTag}`) },
      baseline: { name: 'baseline', base: baseline.base, pid: baseline.pid, users: await lib.registerUsers(service.base, USERS_PER_SIDE, SALDO, `base${runTag}`) },
    };
    for (const side of Object.values(sides)) side.oneKey = await lib.registerUsers(service.base, 1, SALDO, `${side.name}1${runTag}`);
    await seedStatusRows(sides.service);
    await seedStatusRows(sides.baseline);

    for (let round = 1; round <= cfg.rounds; round++) {
      const order = round % 2 === 1 ? ['service', 'baseline'] : ['baseline', 'service'];
      for (const route of cfg.routes) {
        for (const name of order) {
          const r = await measure(sides[name], route, cfg);
          r.round = round;
          results.push(r);
          console.log(`  round ${round} ${route.padEnd(17)} ${name.padEnd(8)} ${r.rps.toFixed(0).padStart(6)} req/s  p50 ${String(r.p50).padStart(4)} ms  p99 ${String(r.p99).padStart(4)} ms  CPU ${r.cpuPerReq.toFixed(3)} ms/req`);
        }
      }
    }
    rss.final(service);
  } finally {
    await Promise.all([service?.stop(), baseline?.stop()]);
    await db.drop();
  }

  // Informational: POST /beli on a service whose processor runs (zero delay), fresh database.
  const db2 = await lib.createDatabase('httpproc');
  let proc;
  try {
    proc = await lib.startInstance(
      { DATABASE_URL: db2.url, PROCESSOR_ENABLED: 'true', PPOB_SIM_DELAY_MS: '0', DATABASE_POOL_SIZE: String(cfg.poolSize) },
      { label: 'service (http, processor on)' },
    );
    rss.track(proc, 'service, POST /beli with processor on');
    const side = {
      name: 'service+processor',
      base: proc.base,
      pid: proc.pid,
      users: await lib.registerUsers(proc.base, USERS_PER_SIDE, SALDO, `proc${runTag}`),
      oneKey: await lib.registerUsers(proc.base, 1, SALDO, `proc1${runTag}`),
    };
    for (let round = 1; round <= cfg.rounds; round++) {
      for (const route of ['POST /beli', ONE_KEY].filter((r) => cfg.routes.includes(r))) {
        const r = await measure(side, route, cfg);
        r.round = round;
        informational.push(r);
        console.log(`  round ${round} ${route} (processor on, 0 ms delay) ${r.rps.toFixed(0).padStart(6)} req/s  p50 ${r.p50} ms  p99 ${r.p99} ms  CPU ${r.cpuPerReq.toFixed(3)} ms/req`);
      }
    }
    rss.final(proc);
  } finally {
    await proc?.stop();
    await db2.drop();
  }
  return { config: cfg, results, informational };
}

module.exports = { run, ROUTES, ONE_KEY, requestFor, cannon, seedStatusRows, USERS_PER_SIDE, SALDO };
