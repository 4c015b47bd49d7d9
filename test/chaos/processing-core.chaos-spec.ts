import type { DataSource } from 'typeorm';
import { AppProcess, assertBuilt, httpJson, mapLimit, openCheckDataSource, sleep, startInstance, useInstanceCleanup, waitUntilSettled } from '../support/instances';
import { doubleExecutions, expectExactLedgers } from '../support/invariants';
import { PrivateMariaDb } from './private-mariadb';

/**
 * The processing core under the faults of issue 8, with real processes of the built app on a
 * private MariaDB: an upstream slower than the lease that ignores the abort, one instance frozen
 * (SIGSTOP) for longer than a lease, and two instances whose clocks are 16 s apart (the app's
 * injectable clock offset, APP_CLOCK_OFFSET_MS). Each time, afterwards: every purchase final, no
 * purchase executed twice, the status of every purchase agrees with the upstream's record (sukses
 * only if delivered, refunded only if never executed), and the ledger exact.
 */
const START_SALDO = 10_000_000;
const SUKSES = '087800000001';
const GAGAL = '087800000002';

jest.setTimeout(120_000);

interface Scenario {
  db: DataSource;
  instances: AppProcess[];
  apiKey: string;
}

/** Purchases whose status disagrees with what the simulated upstream recorded (must be empty). */
async function statusAgainstUpstream(ds: DataSource): Promise<Array<{ id: number; status: string; upstream: string | null }>> {
  const rows: Array<{ id: string | number; status: string; upstream: string | null; calls: string | number }> = await ds.query(
    `SELECT t.id, t.status, MIN(e.status) AS upstream, COUNT(e.id) AS calls
     FROM transaksi t LEFT JOIN ppob_sim_eksekusi e ON e.transaksi_id = t.id
     GROUP BY t.id, t.status`,
  );
  return rows
    .filter((r) => (Number(r.calls) === 0 ? r.status !== 'gagal' : r.status !== r.upstream))
    .map((r) => ({ id: Number(r.id), status: r.status, upstream: r.upstream }));
}

describe('chaos: the processing core', () => {
  useInstanceCleanup();
  let mariadb: PrivateMariaDb | undefined;

  beforeAll(async () => {
    assertBuilt();
    mariadb = await PrivateMariaDb.create();
    await mariadb.start();
  }, 90_000);

  afterAll(async () => {
    await mariadb?.destroy();
  }, 60_000);

  async function setUp(database: string, envs: Array<Record<string, string>>): Promise<Scenario> {
    await mariadb!.createDatabase(database);
    const instances: AppProcess[] = [];
    // One after the other: the first runs the migrations.
    for (const [i, env] of envs.entries()) {
      instances.push(
        await startInstance({
          name: `${database}-${i + 1}`,
          env: {
            NODE_ENV: 'test',
            ALLOW_REGISTER_SALDO: 'true',
            DATABASE_URL: mariadb!.url(database),
            DATABASE_POOL_SIZE: '8',
            LOG_LEVEL: 'warn',
            PROCESSOR_INTERVAL_MS: '100',
            PROCESSOR_MAX_ATTEMPTS: '3',
            SHUTDOWN_TIMEOUT_MS: '3000',
            PPOB_SIM_SUCCESS_RATE: '0.8',
            ...env,
          },
        }),
      );
    }
    const reg = await httpJson(instances[0].baseUrl, 'POST', '/register', { body: { nama: `Chaos ${database}`, email: `${database}@example.com`, saldo: START_SALDO } });
    if (reg.status !== 200) throw new Error(`register: ${reg.status} ${JSON.stringify(reg.json)}`);
    return { db: await openCheckDataSource(mariadb!.url(database)), instances, apiKey: reg.json.api_key };
  }

  /**
   * `count` purchases spread over the instances (a few sandbox sukses/gagal numbers among them),
   * each by a realistic client: a 503 or no answer is repeated with the same ref_id on the next
   * instance (a 503 from the request deadline has committed nothing; a repeat of a committed one
   * returns the original).
   */
  async function buy(s: Scenario, count: number): Promise<void> {
    const answers = await mapLimit(Array.from({ length: count }, (_, i) => i), 12, async (i) => {
      const body = { produk_id: 1 + (i % 3), nomor_tujuan: i % 5 === 0 ? SUKSES : i % 7 === 0 ? GAGAL : `0812${String(i).padStart(8, '0')}`, ref_id: `chaos-${i}` };
      let last = { status: 0, json: null as unknown };
      for (let attempt = 0; attempt < 5; attempt++) {
        const target = s.instances[(i + attempt) % s.instances.length];
        last = await httpJson(target.baseUrl, 'POST', '/beli', { apiKey: s.apiKey, body, timeoutMs: 15_000 }).catch((err: Error) => ({ status: 0, json: err.message }));
        if (last.status !== 503 && last.status !== 0) break;
      }
      return last;
    });
    expect(answers.filter((a) => a.status !== 200)).toEqual([]);
  }

  async function expectSound(s: Scenario, settleMs: number, more?: (ds: DataSource) => Promise<void>): Promise<void> {
    try {
      const open = await waitUntilSettled(s.db, settleMs);
      const stuck = open === 0 ? [] : await s.db.query("SELECT id, status, attempts, locked_by, perlu_operator FROM transaksi WHERE status IN ('pending', 'proses')");
      expect(stuck).toEqual([]);
      expect(await doubleExecutions(s.db)).toEqual([]);
      expect(await statusAgainstUpstream(s.db)).toEqual([]);
      await expectExactLedgers(s.db, START_SALDO, 1);
      await more?.(s.db);
    } finally {
      await s.db.destroy();
      for (const instance of s.instances) await instance.kill('SIGTERM').catch(() => undefined);
    }
  }

  it('an upstream slower than the lease that ignores the abort: one call per purchase, delivered ones never refunded', async () => {
    // Every call outlives the 2 s lease (3-5 s); the deadline aborts it at about 1 s, which the
    // upstream ignores. The heartbeat must keep each row until its call ends.
    const env = { PROCESSOR_LEASE_MS: '2000', PROCESSOR_MAX_ATTEMPTS: '2', PPOB_SIM_DELAY_MS: '3000-5000', PPOB_SIM_IGNORE_ABORT: 'true' };
    const s = await setUp('ppob_core_slow', [env, env]);
    await buy(s, 40);
    await expectSound(s, 45_000, async (ds) => {
      // Every purchase reached the upstream exactly once: none was refunded for want of patience.
      const [calls] = await ds.query('SELECT COUNT(*) AS n FROM ppob_sim_eksekusi');
      expect(Number(calls.n)).toBe(40);
    });
  });

  it('an instance frozen (SIGSTOP) for longer than a lease: its rows are finished once by the other, its late results not written', async () => {
    const env = { PROCESSOR_LEASE_MS: '3000', PPOB_SIM_DELAY_MS: '1000-2000' };
    const s = await setUp('ppob_core_stop', [env, env]);
    const frozen = s.instances[0];
    const buying = buy(s, 30);
    // Freeze the first instance once it holds rows in flight.
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      const [held] = await s.db.query("SELECT COUNT(*) AS n FROM transaksi WHERE status = 'proses' AND locked_by = ?", [frozen.name]);
      if (Number(held.n) > 0) break;
      await sleep(50);
    }
    frozen.child.kill('SIGSTOP');
    await sleep(8_000);
    frozen.child.kill('SIGCONT');
    // Purchases sent to the frozen instance are answered once it thaws.
    await buying;
    await expectSound(s, 60_000);
  });

  it('two instances whose clocks are 16 s apart: no lease is taken early, nothing executed twice', async () => {
    const env = { PROCESSOR_LEASE_MS: '3000', PPOB_SIM_DELAY_MS: '500-1500' };
    const s = await setUp('ppob_core_clock', [
      { ...env, APP_CLOCK_OFFSET_MS: '-8000' },
      { ...env, APP_CLOCK_OFFSET_MS: '8000' },
    ]);
    await buy(s, 60);
    await expectSound(s, 45_000);
  });
});
