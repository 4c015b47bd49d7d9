'use strict';
/**
 * `npm run bench`: the benchmarks (never part of `npm test`). Requires a build (the script
 * builds first). Phases, chosen with BENCH_ONLY (comma-separated, default http,processor,pickup,supplier,partner):
 *
 *   http       service vs bench/baseline-server.js: GET /produk, GET /status/{id}, POST /beli
 *              over 64 keys and over one key (BENCH_HTTP_ROUTES="POST /beli;POST /beli, one key"
 *              measures only the routes named)
 *   processor  draining 5,000 pending purchases with one and with two instances, 0 ms upstream
 *   pickup     purchase-to-execution latency at a steady 50 purchases/s
 *   slow       processor throughput with a slow (2 s) upstream at concurrency 100 and 200
 *   supplier   processor throughput against the fake Digiflazz at 0 ms beside the simulated provider
 *   partner    GET /produk signed vs unsigned and with rate limits on vs off; a callback backlog drained
 *
 * BENCH_NODES (comma-separated: `current`, a major such as 24 or 20, or x.y.z; default current)
 * runs every phase once per Node, the service and baseline processes on that Node, and reports
 * them side by side. A Node other than the machine's comes from the npm registry with its own
 * better-sqlite3 build (test/support/node-runtime.js), as `npm test` gets Node 24.
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
const runtime = require('../test/support/node-runtime');

const DEFAULT_PHASES = ['http', 'processor', 'pickup', 'supplier', 'partner'];
const PHASES = {
  http: () => require('./http-compare'),
  processor: () => require('./processor-drain'),
  pickup: () => require('./pickup'),
  slow: () => require('./processor-throughput'),
  supplier: () => require('./supplier-drain'),
  partner: () => require('./partner'),
};

function selectedPhases() {
  const only = (process.env.BENCH_ONLY ?? DEFAULT_PHASES.join(',')).split(',').map((s) => s.trim()).filter(Boolean);
  for (const p of only) if (!PHASES[p]) throw new Error(`BENCH_ONLY: unknown phase "${p}" (known: ${Object.keys(PHASES).join(', ')})`);
  return only;
}

/** The Nodes of BENCH_NODES, each with the environment its processes need. */
function selectedNodes() {
  const specs = (process.env.BENCH_NODES ?? 'current').split(',').map((s) => s.trim()).filter(Boolean);
  const say = (line) => console.log(`bench: ${line}`);
  return specs.map((spec) => {
    const own = spec === 'current' || spec === process.versions.node || spec === process.versions.node.split('.')[0];
    const node = own ? runtime.currentNode() : runtime.ensureNode(spec, say);
    const binding = own ? null : runtime.ensureSqliteBinding(node, say);
    return { version: `v${node.version}`, bin: node.bin, env: runtime.runtimeEnv(node, binding, { PATH: process.env.PATH }) };
  });
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
    benchNode: process.version,
    db: `MariaDB/MySQL ${v} at ${new URL(lib.MYSQL_URL).host}`,
    commit,
    loadStart: os.loadavg().map((l) => l.toFixed(2)).join(' '),
  };
}

async function main() {
  const phases = selectedPhases();
  const nodes = selectedNodes();
  const started = Date.now();
  const machine = await machineInfo();
  machine.node = nodes.map((n) => n.version).join(', ');
  const envShown = Object.entries(process.env)
    .filter(([k]) => k.startsWith('BENCH_') || ['PROCESSOR_CONCURRENCY', 'PROCESSOR_BATCH_SIZE', 'DATABASE_POOL_SIZE'].includes(k))
    .map(([k, v]) => `${k}=${v} `)
    .join('');
  machine.command = `${envShown}npm run bench`;
  console.log(`bench: phases ${phases.join(', ')}; ${machine.cpu}, ${machine.cores} cores, ${machine.ramGb} GB, Node ${machine.node}, ${machine.db}; load ${machine.loadStart}`);

  const runs = [];
  for (const node of nodes) {
    lib.useServiceNode(node.bin, node.env);
    if (nodes.length > 1) console.log(`\n== bench: service on Node ${node.version}`);
    runs.push({ node: node.version, all: await runPhases(phases) });
  }
  machine.loadEnd = os.loadavg().map((l) => l.toFixed(2)).join(' ');
  machine.wallS = ((Date.now() - started) / 1000).toFixed(0);

  for (const run of runs) {
    if (runs.length > 1) console.log(`\n== Node ${run.node}`);
    report.printSummary(run.all);
    console.log(report.detailTables(run.all));
  }
  if (runs.length > 1) console.log('\n' + report.nodeComparison(runs) + '\n');
  console.log(`\nbench: done in ${machine.wallS} s (without the build)`);

  const full = DEFAULT_PHASES.every((p) => phases.includes(p));
  const writeDoc = process.env.BENCH_DOC === '1' || (process.env.BENCH_DOC !== '0' && full);
  if (writeDoc) {
    const file = join(lib.ROOT, 'docs', 'BENCHMARKS.md');
    require('node:fs').mkdirSync(join(lib.ROOT, 'docs'), { recursive: true });
    writeFileSync(file, report.markdown(runs, machine));
    console.log(`bench: wrote ${file}`);
  }
}

async function runPhases(phases) {
  const rss = new lib.RssSampler(200);
  const all = { probes: [] };
  try {
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
  return all;
}

main().catch(async (err) => {
  console.error(err);
  await lib.cleanup();
  process.exit(1);
});
