'use strict';
/**
 * The HTTP routes of two builds side by side in one run: this checkout's dist/ (B) against
 * another checkout's (A), e.g. the last release, so "no slower than before" is measured in
 * the same minutes on the same machine instead of against an older BENCHMARKS.md.
 *
 *   git worktree add --detach ../ppob-old v1.2.0 && (cd ../ppob-old && npm ci && npm run build)
 *   npm run build && node bench/ab-builds.js ../ppob-old [--rounds 3] [--seconds 5]
 *
 * Each build gets its own database and users; the two alternate cell by cell, in reverse every
 * other round, and each ratio (B ÷ A) is taken within a round. Routes: BENCH_HTTP_ROUTES as for
 * bench/http-compare.js (default GET /produk, GET /status/{id}, POST /beli over 64 keys).
 */
const { existsSync } = require('node:fs');
const { resolve } = require('node:path');
const lib = require('./lib');
const http = require('./http-compare');

function args() {
  const argv = process.argv.slice(2);
  const opt = (name, dflt) => {
    const i = argv.indexOf(name);
    return i >= 0 ? Number(argv[i + 1]) : dflt;
  };
  const other = argv.find((a, i) => !a.startsWith('--') && !argv[i - 1]?.startsWith('--'));
  if (!other) throw new Error('usage: node bench/ab-builds.js <other checkout> [--rounds N] [--seconds S]');
  const script = resolve(other, 'dist/src/main.js');
  if (!existsSync(script)) throw new Error(`${script} does not exist: run npm run build in ${other}`);
  return {
    script,
    rounds: opt('--rounds', 3),
    seconds: opt('--seconds', 5),
    warmupS: 2,
    connections: Number(process.env.BENCH_CONNECTIONS ?? 64),
    routes: process.env.BENCH_HTTP_ROUTES ? process.env.BENCH_HTTP_ROUTES.split(';').map((r) => r.trim()) : ['GET /produk', 'GET /status/{id}', 'POST /beli'],
  };
}

async function side(name, script, tag) {
  const db = await lib.createDatabase(`ab${name}`);
  const inst = await lib.startInstance({ DATABASE_URL: db.url, PROCESSOR_ENABLED: 'false' }, { script, label: `build ${name}` });
  const s = { name, inst, db, base: inst.base, pid: inst.pid, users: await lib.registerUsers(inst.base, http.USERS_PER_SIDE, http.SALDO, `${tag}${name}-`) };
  s.oneKey = await lib.registerUsers(inst.base, 1, http.SALDO, `${tag}${name}one-`);
  await http.seedStatusRows(s);
  return s;
}

async function measure(s, route, cfg) {
  await http.cannon(s.base, http.requestFor(route, s), cfg.connections, cfg.warmupS);
  const cpu0 = lib.cpuTimeMs(s.pid);
  const r = await http.cannon(s.base, http.requestFor(route, s), cfg.connections, cfg.seconds);
  return { rps: r.requests.average, p99: r.latency.p99, cpuPerReq: (lib.cpuTimeMs(s.pid) - cpu0) / Math.max(1, r.requests.total), bad: r.non2xx + r.errors + r.timeouts };
}

async function main() {
  const cfg = args();
  const tag = `ab${Date.now().toString(36)}`;
  console.log(`A = ${cfg.script}\nB = ${resolve(lib.ROOT, 'dist/src/main.js')}\n${cfg.rounds} rounds, ${cfg.seconds} s per cell after ${cfg.warmupS} s warm-up, ${cfg.connections} connections`);
  const sides = [];
  try {
    sides.push(await side('A', cfg.script, tag));
    sides.push(await side('B', 'dist/src/main.js', tag));
    const ratios = Object.fromEntries(cfg.routes.map((r) => [r, []]));
    for (let round = 1; round <= cfg.rounds; round++) {
      for (const route of cfg.routes) {
        const order = round % 2 === 1 ? sides : [...sides].reverse();
        const got = {};
        for (const s of order) {
          got[s.name] = await measure(s, route, cfg);
          const g = got[s.name];
          console.log(`  round ${round} ${route.padEnd(20)} ${s.name} ${g.rps.toFixed(0).padStart(6)} req/s  p99 ${String(g.p99).padStart(4)} ms  CPU ${g.cpuPerReq.toFixed(3)} ms/req${g.bad ? `  ${g.bad} failed` : ''}`);
        }
        ratios[route].push(got.B.rps / got.A.rps);
      }
    }
    console.log('\nB ÷ A, req/s within a round: median (min–max)');
    for (const [route, rs] of Object.entries(ratios)) console.log(`  ${route.padEnd(20)} ${lib.median(rs).toFixed(2)}× (${lib.spread(rs, 2)})`);
  } finally {
    for (const s of sides) {
      await s.inst.stop();
      await s.db.drop();
    }
    await lib.cleanup();
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
