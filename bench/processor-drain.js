'use strict';
/**
 * Processor throughput with an instant upstream (PPOB_SIM_DELAY_MS=0): BENCH_DRAIN_PURCHASES
 * purchases are created once through POST /beli on an instance with the processor off and held
 * back. Each run copies that database (a fresh, identical set), starts ONE (or TWO) instances
 * with the processor on, waits until they are idle, releases the purchases in one UPDATE and
 * measures the time until every row is final.
 *
 * Why hold the rows: an instance's processor starts draining before it answers /health, and two
 * instances never boot at the same instant, so without the hold the first instance to boot
 * would get a head start and the boot itself would be in the timing. While held, the rows have
 * status 'bench_hold', which no claim selects; the release sets them back to 'pending' in one
 * statement. The rate is then taken from the database's own timestamps:
 * first execution (ppob_sim_eksekusi.waktu) to last finalize (transaksi.updated_at), so the
 * processors' idle poll interval (PROCESSOR_INTERVAL_MS, up to 1 s) is not counted. The wall
 * time from the release to "no row open" (polled every 50 ms) is reported beside it.
 */
const lib = require('./lib');

function config() {
  return {
    purchases: Number(process.env.BENCH_DRAIN_PURCHASES ?? 5000),
    rounds: Number(process.env.BENCH_DRAIN_ROUNDS ?? process.env.BENCH_ROUNDS ?? 2),
    instances: (process.env.BENCH_DRAIN_INSTANCES ?? '1,2').split(',').map(Number),
    concurrency: process.env.PROCESSOR_CONCURRENCY, // unset: the service default
    batchSize: process.env.PROCESSOR_BATCH_SIZE,
    poolSize: process.env.DATABASE_POOL_SIZE,
  };
}

function processorEnv(cfg, dbUrl) {
  return {
    DATABASE_URL: dbUrl,
    PROCESSOR_ENABLED: 'true',
    PPOB_SIM_DELAY_MS: '0',
    // The released rows were not bought on these instances, so nothing wakes them: each finds the
    // backlog on its idle poll. At the default 1 s the second instance could join up to a second
    // after the first, a large share of a 2-3 s drain; 50 ms puts both to work together.
    PROCESSOR_INTERVAL_MS: process.env.PROCESSOR_INTERVAL_MS ?? '50',
    ...(cfg.concurrency ? { PROCESSOR_CONCURRENCY: cfg.concurrency } : {}),
    ...(cfg.batchSize ? { PROCESSOR_BATCH_SIZE: cfg.batchSize } : {}),
    ...(cfg.poolSize ? { DATABASE_POOL_SIZE: cfg.poolSize } : {}),
  };
}

/** Creates `count` pending purchases through the API of an instance with the processor off. */
async function seedPending(db, count, tag) {
  const seeder = await lib.startInstance({ DATABASE_URL: db.url, PROCESSOR_ENABLED: 'false' }, { label: 'seeder' });
  try {
    const users = await lib.registerUsers(seeder.base, 20, 1_000_000_000_000, `drain${tag}`);
    const started = Date.now();
    await lib.parallelLoop(count, 64, async (i) => {
      const { status, json } = await lib.post(seeder.base, '/beli', { produk_id: 1 + (i % 3), nomor_tujuan: `0813${String(i).padStart(8, '0')}` }, users[i % users.length].key);
      if (status !== 200) throw new Error(`seed /beli ${status}: ${JSON.stringify(json)}`);
    });
    return { seedMs: Date.now() - started };
  } finally {
    await seeder.stop();
  }
}

/**
 * The set every run starts from: `purchases` purchases created through POST /beli with the
 * processor off, then held. Each run drains its own copy (lib.cloneDatabase), so every run,
 * one instance or two, starts from the same fresh set without paying for the API again.
 */
async function createTemplate(cfg) {
  const template = await lib.createDatabase('draintpl');
  const { seedMs } = await seedPending(template, cfg.purchases, Date.now().toString(36));
  const pool = lib.sqlPool(template);
  try {
    const [[{ n }]] = await pool.query("SELECT COUNT(*) AS n FROM transaksi WHERE status = 'pending'");
    if (Number(n) !== cfg.purchases) throw new Error(`expected ${cfg.purchases} pending, found ${n}`);
    await pool.query("UPDATE transaksi SET status = 'bench_hold' WHERE status = 'pending'");
  } finally {
    await pool.end();
  }
  return { template, seedMs };
}

async function drainOnce(cfg, template, instanceCount, round, rss) {
  const db = await lib.cloneDatabase(template, `drain${instanceCount}`);
  const pool = lib.sqlPool(db);
  const instances = [];
  try {
    const env = processorEnv(cfg, db.url);
    instances.push(...(await Promise.all(Array.from({ length: instanceCount }, (_, k) => lib.startInstance(env, { label: `processor ${k + 1}/${instanceCount}` })))));
    instances.forEach((inst, k) => rss.track(inst, `service, processor drain (${instanceCount} instance${instanceCount > 1 ? 's' : ''}, run ${round}) #${k + 1}`));

    const cpuBefore = instances.map((i) => lib.cpuTimeMs(i.pid));
    const released = Date.now();
    await pool.query("UPDATE transaksi SET status = 'pending' WHERE status = 'bench_hold'");
    let wallMs;
    for (;;) {
      const open = await lib.openCount(pool);
      if (Number(open) === 0) {
        wallMs = Date.now() - released;
        break;
      }
      if (Date.now() - released > 5 * 60_000) throw new Error("transaksi still open after 5 minutes");
      await lib.sleep(50);
    }
    const cpuMs = instances.reduce((sum, inst, k) => sum + (lib.cpuTimeMs(inst.pid) - cpuBefore[k]), 0);
    const stats = await drainStats(pool, cfg.purchases);
    for (const inst of instances) rss.final(inst);
    const dbMs = stats.lastFinal - stats.firstExec;
    return { instances: instanceCount, round, purchases: cfg.purchases, wallMs, dbMs, rate: cfg.purchases / (dbMs / 1000), wallRate: cfg.purchases / (wallMs / 1000), cpuPerTrx: cpuMs / cfg.purchases, ...stats };
  } catch (err) {
    for (const inst of instances) console.error(`${inst.label} stderr:\n${inst.stderrText().slice(-3000)}`);
    throw err;
  } finally {
    await Promise.all(instances.map((i) => i.stop()));
    await pool.end();
    await db.drop();
  }
}

/** Correctness and timing from the database: every row final, executed exactly once. */
async function drainStats(pool, purchases) {
  const [[times]] = await pool.query(
    `SELECT (SELECT MIN(waktu) FROM ppob_sim_eksekusi) AS first_exec, (SELECT MAX(updated_at) FROM transaksi) AS last_final,
            (SELECT COUNT(*) FROM ppob_sim_eksekusi) AS executions, (SELECT COUNT(DISTINCT transaksi_id) FROM ppob_sim_eksekusi) AS executed,
            (SELECT COUNT(*) FROM transaksi WHERE status IN ('sukses', 'gagal')) AS final`,
  );
  const [perInstance] = await pool.query('SELECT instance_id, COUNT(*) AS n FROM ppob_sim_eksekusi GROUP BY instance_id ORDER BY instance_id');
  if (Number(times.final) !== purchases) throw new Error(`expected ${purchases} final rows, found ${times.final}`);
  if (Number(times.executions) !== Number(times.executed)) throw new Error(`double execution: ${times.executions} executions of ${times.executed} transaksi`);
  return {
    firstExec: new Date(times.first_exec).getTime(),
    lastFinal: new Date(times.last_final).getTime(),
    executions: Number(times.executions),
    share: perInstance.map((r) => Number(r.n)),
  };
}

async function run(rss) {
  const cfg = config();
  console.log(
    `\n== Processor drain: ${cfg.purchases} pending purchases, PPOB_SIM_DELAY_MS=0, PROCESSOR_CONCURRENCY=${cfg.concurrency ?? 'default'}, instances ${cfg.instances.join(' and ')}, ${cfg.rounds} round(s)`,
  );
  const results = [];
  const { template, seedMs } = await createTemplate(cfg);
  console.log(`  ${cfg.purchases} purchases created through POST /beli in ${(seedMs / 1000).toFixed(1)} s (${(cfg.purchases / (seedMs / 1000)).toFixed(0)}/s); each run drains a copy`);
  try {
    for (let round = 1; round <= cfg.rounds; round++) {
      for (const count of cfg.instances) {
        const r = await drainOnce(cfg, template, count, round, rss);
        results.push(r);
        console.log(
          `  round ${round} ${count} instance(s): ${r.rate.toFixed(0)} trx/s (first execution to last final ${(r.dbMs / 1000).toFixed(2)} s; ` +
            `release to all final ${(r.wallMs / 1000).toFixed(2)} s = ${r.wallRate.toFixed(0)} trx/s; per instance ${r.share.join('/')}; service CPU ${r.cpuPerTrx.toFixed(2)} ms/trx)`,
        );
      }
    }
  } finally {
    await template.drop();
  }
  return { config: cfg, results, seedMs };
}

module.exports = { run };
