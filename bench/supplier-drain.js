'use strict';
/**
 * Processor throughput against the fake Digiflazz supplier answering at once (0 ms, Sukses,
 * no callbacks), beside the simulated provider at 0 ms in the same run: what the HTTP adapter
 * (a JSON POST per purchase, md5 sign, the order read) costs over the in-process simulation.
 *
 * BENCH_SUPPLIER_PURCHASES purchases (default 2,000) are created once through POST /beli with
 * the processor off and held (status 'bench_hold', as in processor-drain.js); each round drains
 * a copy on ONE instance per provider. The rate is purchases / (release to every row final),
 * polled every 50 ms, for both providers alike (the fake keeps no row in the database).
 * The fake runs in this process (dist/src/fake-upstream), so it shares the machine with the service.
 */
const lib = require('./lib');

function config() {
  return {
    purchases: Number(process.env.BENCH_SUPPLIER_PURCHASES ?? 2000),
    rounds: Number(process.env.BENCH_SUPPLIER_ROUNDS ?? process.env.BENCH_ROUNDS ?? 2),
  };
}

const FAKE = { username: 'benchbuyer', apiKey: 'bench-api-key-0123456789' };

async function createTemplate(cfg) {
  const template = await lib.createDatabase('suptpl');
  // Seeded with the simulated provider: a real supplier refuses register-time saldo.
  const seeder = await lib.startInstance({ DATABASE_URL: template.url, PROCESSOR_ENABLED: 'false' }, { label: 'seeder' });
  try {
    const users = await lib.registerUsers(seeder.base, 20, 1_000_000_000_000, `sup${Date.now().toString(36)}`);
    await lib.parallelLoop(cfg.purchases, 64, async (i) => {
      // Seed products 1-3 carry kode PULSA10, PULSA20, PLN50, which the fake's price list sells.
      const { status, json } = await lib.post(seeder.base, '/beli', { produk_id: 1 + (i % 3), nomor_tujuan: `0813${String(i).padStart(8, '0')}` }, users[i % users.length].key);
      if (status !== 200) throw new Error(`seed /beli ${status}: ${JSON.stringify(json)}`);
    });
  } finally {
    await seeder.stop();
  }
  const pool = lib.sqlPool(template);
  try {
    await pool.query("UPDATE transaksi SET status = 'bench_hold' WHERE status = 'pending'");
  } finally {
    await pool.end();
  }
  return template;
}

async function drainOnce(cfg, template, provider, fakeUrl, round, rss) {
  const db = await lib.cloneDatabase(template, `sup${provider.slice(0, 3)}`);
  const pool = lib.sqlPool(db);
  let instance;
  try {
    const env = {
      DATABASE_URL: db.url,
      PROCESSOR_ENABLED: 'true',
      PROCESSOR_INTERVAL_MS: '50',
      PPOB_SIM_DELAY_MS: '0',
      ...(provider === 'digiflazz'
        ? { PPOB_PROVIDER: 'digiflazz', ALLOW_REGISTER_SALDO: 'false', DIGIFLAZZ_URL: fakeUrl, DIGIFLAZZ_USERNAME: FAKE.username, DIGIFLAZZ_API_KEY: FAKE.apiKey }
        : {}),
    };
    instance = await lib.startInstance(env, { label: `processor (${provider})` });
    rss.track(instance, `service, supplier drain (${provider}, run ${round})`);
    const cpuBefore = lib.cpuTimeMs(instance.pid);
    const released = Date.now();
    await pool.query("UPDATE transaksi SET status = 'pending' WHERE status = 'bench_hold'");
    for (;;) {
      if (Number(await lib.openCount(pool)) === 0) break;
      if (Date.now() - released > 5 * 60_000) throw new Error('transaksi still open after 5 minutes');
      await lib.sleep(50);
    }
    const wallMs = Date.now() - released;
    const cpuMs = lib.cpuTimeMs(instance.pid) - cpuBefore;
    const [[{ n }]] = await pool.query("SELECT COUNT(*) AS n FROM transaksi WHERE status = 'sukses'");
    rss.final(instance);
    return { provider, round, purchases: cfg.purchases, wallMs, rate: cfg.purchases / (wallMs / 1000), sukses: Number(n), cpuPerTrx: cpuMs / cfg.purchases };
  } catch (err) {
    if (instance) console.error(`${instance.label} stderr:\n${instance.stderrText().slice(-3000)}`);
    throw err;
  } finally {
    await instance?.stop();
    await pool.end();
    await db.drop();
  }
}

async function run(rss) {
  const cfg = config();
  const { FakeDigiflazz } = require('../dist/src/fake-upstream/fake-digiflazz');
  console.log(`\n== Supplier drain: ${cfg.purchases} purchases, one instance, simulated provider vs the fake Digiflazz at 0 ms, ${cfg.rounds} round(s)`);
  const fake = new FakeDigiflazz({ ...FAKE, deposit: Number.MAX_SAFE_INTEGER, liveMode: 'sukses' });
  const fakeUrl = await fake.listen();
  const template = await createTemplate(cfg);
  const results = [];
  try {
    for (let round = 1; round <= cfg.rounds; round++) {
      for (const provider of ['simulated', 'digiflazz']) {
        const r = await drainOnce(cfg, template, provider, fakeUrl, round, rss);
        results.push(r);
        console.log(`  round ${round} ${provider}: ${r.rate.toFixed(0)} trx/s (release to all final ${(r.wallMs / 1000).toFixed(2)} s; ${r.sukses} sukses; service CPU ${r.cpuPerTrx.toFixed(2)} ms/trx)`);
      }
    }
  } finally {
    await template.drop();
    await fake.close();
  }
  return { config: cfg, results };
}

module.exports = { run };
