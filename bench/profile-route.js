'use strict';
/**
 * Profiles one workload of the built service (or the baseline) under the same load as the
 * benchmark: a CPU profile of the measured window only (bench/instrument.js preloaded, summarised
 * with bench/profile-summary.js) and the statements sent per request.
 *
 *   node bench/profile-route.js produk|status|beli|beli-proc|drain [--baseline] [--signed] [--seconds 10] [--out DIR] [--env K=V ...]
 *
 * produk/status/beli: 64 connections of autocannon for --seconds after a 2 s warm-up, processor
 * off (beli-proc: processor on, 0 ms upstream). drain: BENCH_DRAIN_PURCHASES (5,000) pending
 * purchases, created through /beli with the processor off, drained by one profiled instance.
 * --signed (produk only) signs every request, with headers computed before the run.
 * --env sets a variable of the profiled service (repeatable), e.g. --env RATE_LIMIT_PER_MINUTE=10000000.
 */
const { mkdirSync } = require('node:fs');
const { join } = require('node:path');
const lib = require('./lib');
const http = require('./http-compare');
const { summarise } = require('./profile-summary');

function args() {
  const argv = process.argv.slice(2);
  const opt = (name, dflt) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : dflt;
  };
  return {
    mode: argv[0],
    baseline: argv.includes('--baseline'),
    signed: argv.includes('--signed'),
    seconds: Number(opt('--seconds', 10)),
    env: Object.fromEntries(argv.flatMap((a, i) => (a === '--env' ? [argv[i + 1].split(/=(.*)/s).slice(0, 2)] : []))),
    out: opt('--out', join(require('node:os').tmpdir(), `ppob-profile-${Date.now().toString(36)}`)),
  };
}

/** Sends `message` to bench/instrument.js in the child and resolves with its answer's `field`. */
function ask(instance, message, field) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no answer from bench/instrument.js')), 30_000);
    const onMessage = (msg) => {
      if (!msg || !(field in msg)) return;
      clearTimeout(timer);
      instance.child.off('message', onMessage);
      resolve(msg[field]);
    };
    instance.child.on('message', onMessage);
    instance.child.send(message);
  });
}

/** GET /produk signed (produk --signed), headers precomputed for `seconds` at up to 20,000 req/s. */
function signedProduk(users, seconds) {
  const sources = users.map((u) => lib.signedHeaderSource(u, 'GET', '/produk', Math.ceil((seconds * 20_000) / users.length)));
  let i = 0;
  return {
    method: 'GET',
    path: '/produk',
    setupRequest: (req) => {
      req.headers = { ...req.headers, ...sources[i++ % sources.length]() };
      return req;
    },
  };
}

const snapshot = (instance) => ask(instance, 'query-counts', 'queryCounts');
const profileStart = (instance) => ask(instance, 'profile-start', 'profiling');
const profileStop = (instance, file) => ask(instance, { profileStop: file }, 'profileWritten');

async function printMemory(instance) {
  const m = await ask(instance, 'memory', 'memory');
  const status = lib.readProcStatus(instance.pid);
  const MB = (b) => (b / 2 ** 20).toFixed(0);
  console.log(
    `\nmemory: VmRSS ${MB(status.rss)} MB, VmHWM ${MB(status.hwm)} MB; V8 heap ${MB(m.heapUsed)} used of ${MB(m.heapTotal)} MB, external ${MB(m.external)} MB (array buffers ${MB(m.arrayBuffers)} MB)`,
  );
  console.log('  V8 spaces (size/used MB): ' + m.spaces.filter((s) => s.sizeMB > 0.5).map((s) => `${s.space} ${s.sizeMB}/${s.usedMB}`).join(', '));
}

function diffCounts(after, before) {
  const out = {};
  for (const [k, v] of Object.entries(after)) if (v - (before[k] ?? 0) > 0) out[k] = v - (before[k] ?? 0);
  return out;
}

function printCounts(counts, requests) {
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  console.log(`\nstatements: ${total} for ${requests} requests = ${(total / requests).toFixed(2)} per request`);
  for (const [k, v] of Object.entries(counts).sort((a, b) => b[1] - a[1])) console.log(`  ${(v / requests).toFixed(3).padStart(7)}  ${k}`);
}

async function main() {
  const a = args();
  if (!['produk', 'status', 'beli', 'beli-proc', 'drain'].includes(a.mode)) throw new Error('mode: produk|status|beli|beli-proc|drain');
  mkdirSync(a.out, { recursive: true });
  const nodeArgs = ['-r', './bench/instrument.js'];
  const profFile = join(a.out, `${a.baseline ? 'baseline' : 'service'}-${a.mode}.cpuprofile`);
  const db = await lib.createDatabase('prof');
  const env = { DATABASE_URL: db.url, ...a.env };
  let inst;
  let helper;
  try {
    if (a.mode === 'drain') {
      const purchases = Number(process.env.BENCH_DRAIN_PURCHASES ?? 5000);
      helper = await lib.startInstance({ DATABASE_URL: db.url, PROCESSOR_ENABLED: 'false' }, { label: 'seeder' });
      const users = await lib.registerUsers(helper.base, 20, http.SALDO, `pd${Date.now().toString(36)}`);
      await lib.parallelLoop(purchases, 64, async (i) => {
        const { status } = await lib.post(helper.base, '/beli', { produk_id: 1 + (i % 3), nomor_tujuan: `0813${String(i).padStart(8, '0')}` }, users[i % users.length].key);
        if (status !== 200) throw new Error(`seed ${status}`);
      });
      await helper.stop();
      helper = null;
      const pool = lib.sqlPool(db);
      await pool.query("UPDATE transaksi SET status = 'bench_hold' WHERE status = 'pending'");
      inst = await lib.startInstance({ ...env, PROCESSOR_ENABLED: 'true', PPOB_SIM_DELAY_MS: '0' }, { nodeArgs, label: 'profiled', ipc: true });
      const before = await snapshot(inst);
      await profileStart(inst);
      const cpu0 = lib.cpuTimeMs(inst.pid);
      const t0 = Date.now();
      await pool.query("UPDATE transaksi SET status = 'pending' WHERE status = 'bench_hold'");
      for (;;) {
        const open = await lib.openCount(pool);
        if (Number(open) === 0) break;
        await lib.sleep(50);
      }
      const ms = Date.now() - t0;
      const cpu = lib.cpuTimeMs(inst.pid) - cpu0;
      await profileStop(inst, profFile);
      const after = await snapshot(inst);
      await pool.end();
      console.log(`drained ${purchases} in ${ms} ms (${((purchases * 1000) / ms).toFixed(0)} trx/s), service CPU ${(cpu / purchases).toFixed(2)} ms/trx`);
      printCounts(diffCounts(after, before), purchases);
    } else {
      const processorOn = a.mode === 'beli-proc';
      if (a.baseline) {
        helper = await lib.startInstance({ DATABASE_URL: db.url, PROCESSOR_ENABLED: 'false' }, { label: 'service (for /register)' });
        inst = await lib.startInstance(env, { script: 'bench/baseline-server.js', nodeArgs, label: 'baseline', ipc: true });
      } else {
        inst = await lib.startInstance({ ...env, PROCESSOR_ENABLED: processorOn ? 'true' : 'false', PPOB_SIM_DELAY_MS: '0' }, { nodeArgs, label: 'profiled', ipc: true });
      }
      const side = { name: a.baseline ? 'baseline' : 'service', base: inst.base, pid: inst.pid, users: await lib.registerUsers((helper ?? inst).base, http.USERS_PER_SIDE, http.SALDO, `pr${Date.now().toString(36)}`) };
      const route = { produk: 'GET /produk', status: 'GET /status/{id}', beli: 'POST /beli', 'beli-proc': 'POST /beli' }[a.mode];
      if (a.mode === 'status') await http.seedStatusRows(side);
      const request = () => (a.signed ? signedProduk(side.users, a.seconds + 2) : http.requestFor(route, side));
      await http.cannon(inst.base, request(), 64, 2);
      const before = await snapshot(inst);
      await profileStart(inst);
      const cpu0 = lib.cpuTimeMs(inst.pid);
      const r = await http.cannon(inst.base, request(), 64, a.seconds);
      const cpu = lib.cpuTimeMs(inst.pid) - cpu0;
      await profileStop(inst, profFile);
      if (processorOn) await lib.sleep(2000); // let the processor finish what was bought
      const after = await snapshot(inst);
      console.log(`${side.name} ${route}: ${r.requests.average.toFixed(0)} req/s, p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms, non-2xx ${r.non2xx}; CPU ${(cpu / r.requests.total).toFixed(3)} ms/req`);
      printCounts(diffCounts(after, before), r.requests.total);
    }
    await printMemory(inst);
    await inst.stop();
    inst = null;
    console.log('\n' + summarise(profFile, 35));
  } finally {
    await inst?.stop();
    await helper?.stop();
    await lib.cleanup();
  }
}

main().catch(async (err) => {
  console.error(err);
  await lib.cleanup();
  process.exit(1);
});
