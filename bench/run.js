'use strict';
/**
 * `npm run bench`: the benchmarks (never part of `npm test`). Requires a build (the script
 * builds first). Phases, chosen with BENCH_ONLY (comma-separated, default http,processor,pickup):
 *
 *   http       service vs bench/baseline-server.js: GET /produk, GET /status/{id}, POST /beli
 *   processor  draining 5,000 pending purchases with one and with two instances, 0 ms upstream
 *   pickup     purchase-to-execution latency at a steady 50 purchases/s
 *   slow       processor throughput with a slow (2 s) upstream at concurrency 100 and 200
 *
 * A run of the default phases writes docs/BENCHMARKS.md (BENCH_DOC=0 to skip, BENCH_DOC=1 to
 * write after any selection). Every child process is stopped and every ppob_bench_* database
 * dropped at the end, also on failure or Ctrl-C.
 */
const { execFileSync } = require('node:child_process');
const { writeFileSync } = require('node:fs');
const os = require('node:os');
const { join } = require('node:path');
const mysql = require('mysql2/promise');
const lib = require('./lib');
const report = require('./report');

const DEFAULT_PHASES = ['http', 'processor', 'pickup'];
const PHASES = {
  http: () => require('./http-compare'),
  processor: () => require('./processor-drain'),
  pickup: () => require('./pickup'),
  slow: () => require('./processor-throughput'),
};

function selectedPhases() {
  const only = (process.env.BENCH_ONLY ?? DEFAULT_PHASES.join(',')).split(',').map((s) => s.trim()).filter(Boolean);
  for (const p of only) if (!PHASES[p]) throw new Error(`BENCH_ONLY: unknown phase "${p}" (known: ${Object.keys(PHASES).join(', ')})`);
  return only;
}

async function machineInfo() {
  const c = await mysql.createConnection({ uri: lib.MYSQL_URL });
  const [[{ v }]] = await c.query('SELECT VERSION() AS v');
  await c.end();
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['log', '-1', '--format=%h %s'], { cwd: lib.ROOT, encoding: 'utf8' }).trim();
  } catch {
    /* not a git checkout */
  }
  return {
    date: new Date().toISOString().replace('T', ' ').slice(0, 16) + ' UTC',
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    ramGb: (os.totalmem() / 1024 ** 3).toFixed(1),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    db: `MariaDB/MySQL ${v} at ${new URL(lib.MYSQL_URL).host}`,
    commit,
    loadStart: os.loadavg().map((l) => l.toFixed(2)).join(' '),
  };
}

async function main() {
  const phases = selectedPhases();
  const started = Date.now();
  const machine = await machineInfo();
  const envShown = Object.entries(process.env)
    .filter(([k]) => k.startsWith('BENCH_') || ['PROCESSOR_CONCURRENCY', 'PROCESSOR_BATCH_SIZE', 'DATABASE_POOL_SIZE'].includes(k))
    .map(([k, v]) => `${k}=${v} `)
    .join('');
  machine.command = `${envShown}npm run bench`;
  console.log(`bench: phases ${phases.join(', ')}; ${machine.cpu}, ${machine.cores} cores, ${machine.ramGb} GB, Node ${machine.node}, ${machine.db}; load ${machine.loadStart}`);

  const rss = new lib.RssSampler(200);
  const all = {};
  try {
    all.probes = [];
    for (const phase of phases) {
      const probe = await lib.probeDatabase();
      all.probes.push({ phase, ...probe });
      console.log(`\nprobe before ${phase}: 1-row commit ${probe.commitMs.toFixed(2)} ms, PK select ${probe.selectMs.toFixed(2)} ms, load ${probe.load1.toFixed(2)}`);
      all[phase] = await PHASES[phase]().run(rss);
    }
    const probe = await lib.probeDatabase();
    all.probes.push({ phase: 'end', ...probe });
  } finally {
    all.rss = rss.all();
    rss.stop();
    await lib.cleanup();
  }
  machine.loadEnd = os.loadavg().map((l) => l.toFixed(2)).join(' ');
  machine.wallS = ((Date.now() - started) / 1000).toFixed(0);

  report.printSummary(all);
  console.log(report.detailTables(all));
  console.log(`\nbench: done in ${machine.wallS} s (without the build)`);

  const full = DEFAULT_PHASES.every((p) => phases.includes(p));
  const writeDoc = process.env.BENCH_DOC === '1' || (process.env.BENCH_DOC !== '0' && full);
  if (writeDoc) {
    const file = join(lib.ROOT, 'docs', 'BENCHMARKS.md');
    require('node:fs').mkdirSync(join(lib.ROOT, 'docs'), { recursive: true });
    writeFileSync(file, report.markdown(all, machine));
    console.log(`bench: wrote ${file}`);
  }
}

main().catch(async (err) => {
  console.error(err);
  await lib.cleanup();
  process.exit(1);
});
