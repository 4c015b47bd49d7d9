'use strict';
/**
 * Processor throughput with a slow upstream: N purchases against one built instance whose
 * simulated provider takes BENCH_DELAY_MS each, timed from the first /beli until every
 * transaksi is final. With concurrency C the floor is about delay * N / C.
 *
 *   BENCH_ONLY=slow npm run bench            (or: node bench/processor-throughput.js after a build)
 *   BENCH_PURCHASES=1000 BENCH_DELAY_MS=2000 BENCH_CONCURRENCY=100,200 BENCH_ENGINE=mysql|sqlite
 */
const lib = require('./lib');

const PURCHASES = Number(process.env.BENCH_PURCHASES ?? 1000);
const DELAY_MS = Number(process.env.BENCH_DELAY_MS ?? 2000);
const CONCURRENCIES = (process.env.BENCH_CONCURRENCY ?? '100,200').split(',').map(Number);
const ENGINE = process.env.BENCH_ENGINE ?? 'mysql';
const HTTP_PARALLEL = 64;

async function runOnce(concurrency, rss) {
  const db = await lib.createDatabase(`slow${concurrency}`, ENGINE);
  let instance;
  try {
    instance = await lib.startInstance({
      DATABASE_URL: db.url,
      PPOB_SIM_DELAY_MS: String(DELAY_MS),
      PPOB_SIM_SUCCESS_RATE: '0.9',
      PROCESSOR_CONCURRENCY: String(concurrency),
      PROCESSOR_BATCH_SIZE: String(Math.min(concurrency, 1000)),
      PROCESSOR_LEASE_MS: String(Math.max(30_000, DELAY_MS * 4)),
    }, { label: `slow provider, concurrency ${concurrency}` });
    rss?.track(instance, `service, slow-provider throughput (concurrency ${concurrency})`);
    const users = (await lib.registerUsers(instance.base, 10, 1_000_000_000, `slow${concurrency}x${Date.now().toString(36)}`)).map((u) => u.key);
    const ids = [];
    const started = Date.now();
    await lib.parallelLoop(PURCHASES, HTTP_PARALLEL, async (i) => {
      const { status, json } = await lib.post(instance.base, '/beli', { produk_id: 1 + (i % 3), nomor_tujuan: `0812${String(i).padStart(8, '0')}` }, users[i % users.length]);
      if (status !== 200) throw new Error(`beli ${status}: ${JSON.stringify(json)}`);
      ids.push({ id: json.id, key: users[i % users.length] });
    });
    const acceptedMs = Date.now() - started;

    // Poll the newest rows through the API until none is pending/proses.
    for (;;) {
      let open = 0;
      for (const key of users) {
        const { json: rows } = await lib.get(instance.base, '/riwayat?limit=100', key);
        open += rows.filter((r) => r.status === 'pending' || r.status === 'proses').length;
      }
      if (open === 0) {
        // The last page holds the newest 100 per user; check all ids once to be exact.
        let stillOpen = 0;
        for (const { id, key } of ids) {
          const { json: row } = await lib.get(instance.base, `/status/${id}`, key);
          if (row.status === 'pending' || row.status === 'proses') stillOpen++;
        }
        if (stillOpen === 0) break;
      }
      if (Date.now() - started > 10 * 60_000) throw new Error('not finished after 10 minutes');
      await lib.sleep(200);
    }
    const totalMs = Date.now() - started;
    rss?.final(instance);
    return { concurrency, acceptedMs, totalMs, floorMs: Math.ceil(PURCHASES / concurrency) * DELAY_MS };
  } catch (err) {
    if (instance) console.error(instance.stderrText().slice(-4000));
    throw err;
  } finally {
    await instance?.stop();
    await db.drop();
  }
}

async function run(rss) {
  console.log(`\n== Processor throughput, slow upstream: ${PURCHASES} purchases, simulated delay ${DELAY_MS} ms, engine ${ENGINE}`);
  const rows = [];
  for (const concurrency of CONCURRENCIES) {
    const r = await runOnce(concurrency, rss);
    r.rate = PURCHASES / (r.totalMs / 1000);
    rows.push(r);
    console.log(
      `  PROCESSOR_CONCURRENCY=${r.concurrency}: all accepted in ${(r.acceptedMs / 1000).toFixed(1)} s, all final in ${(r.totalMs / 1000).toFixed(1)} s ` +
        `(floor ${PURCHASES} x ${DELAY_MS} ms / ${r.concurrency} = ${(r.floorMs / 1000).toFixed(1)} s; ${r.rate.toFixed(0)} trx/s)`,
    );
  }
  return { config: { purchases: PURCHASES, delayMs: DELAY_MS, engine: ENGINE }, results: rows };
}

module.exports = { run, main: run };
if (require.main === module) {
  run()
    .catch((err) => {
      console.error(err);
      process.exitCode = 1;
    })
    .finally(() => lib.cleanup());
}
