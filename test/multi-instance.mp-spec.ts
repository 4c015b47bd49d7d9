import { randomInt } from 'node:crypto';
import type { DataSource } from 'typeorm';
import {
  AppProcess,
  assertBuilt,
  httpJson,
  mapLimit,
  sleep,
  openCheckDataSource,
  startInstances,
  useInstanceCleanup,
  waitUntilSettled,
} from './support/instances';
import { checkLedger, doubleExecutions, expectExactLedgers } from './support/invariants';
import { createTestDatabase, describeFor, TestDatabase } from './support/test-db';

// Real processes on 2 cores: a generous default for the short checks; long steps set their own.
jest.setTimeout(60_000);

/**
 * Three real processes of the built app share one MySQL/MariaDB database and race for the same
 * pending rows (FOR UPDATE SKIP LOCKED). 2,000 purchases go in over HTTP, spread over the three;
 * every one must be executed exactly once and every rupiah must be accounted for.
 */
const INSTANCES = 3;
const USERS = 20;
const PURCHASES = 2_000;
const IN_FLIGHT = 32;
const START_SALDO = 10_000_000; // 100 purchases per user at most 51,000 each: never short of saldo
const SUKSES_NUMBER = '087800000001';
const GAGAL_NUMBER = '087800000002';

interface Sent {
  produkId: number;
  nomor: string;
  via: number;
  status: number;
  body: any;
}

describeFor('mysql')('three instances sharing one MySQL database', () => {
  useInstanceCleanup();

  let db: TestDatabase | undefined;
  let ds: DataSource | undefined;
  let instances: AppProcess[] = [];
  let apiKeys: string[] = [];
  let sent: Sent[] = [];
  let acceptedIds: number[] = [];
  let openAfterWait = -1;

  const instanceIds = Array.from({ length: INSTANCES }, (_, i) => `mp-multi-${i + 1}`);
  const diagnostics = () => instances.map((p) => p.diagnostics(20)).join('\n');

  beforeAll(async () => {
    assertBuilt();
    db = await createTestDatabase('mysql');
    instances = await startInstances(INSTANCES, (i) => ({
      name: instanceIds[i],
      env: {
        NODE_ENV: 'test',
        ALLOW_REGISTER_SALDO: 'true',
        DATABASE_URL: db!.url,
        // Several specs share one server (max_connections 151 by default): keep each pool small.
        DATABASE_POOL_SIZE: '10',
        LOG_LEVEL: 'warn',
        PROCESSOR_INSTANCE_ID: instanceIds[i],
        PROCESSOR_CONCURRENCY: '50',
        PROCESSOR_BATCH_SIZE: '50',
        PROCESSOR_INTERVAL_MS: '100',
        PROCESSOR_LEASE_MS: '10000',
        PPOB_SIM_DELAY_MS: '5-20',
        PPOB_SIM_SUCCESS_RATE: '0.8',
      },
    }));
    ds = await openCheckDataSource(db.url);

    apiKeys = await mapLimit(Array.from({ length: USERS }, (_, i) => i), 8, async (i) => {
      const res = await httpJson(instances[i % INSTANCES].baseUrl, 'POST', '/register', {
        body: { nama: `Reseller MP ${i}`, email: `mp-multi-${i}@example.com`, saldo: START_SALDO },
      });
      if (res.status !== 200) throw new Error(`register ${i} failed: ${res.status} ${JSON.stringify(res.json)}`);
      return res.json.api_key as string;
    });
  }, 120_000);

  afterAll(async () => {
    await ds?.destroy().catch(() => undefined);
    // The processes hold connections to the database: stop them before dropping it.
    await Promise.all(instances.map((p) => p.kill('SIGKILL').catch(() => undefined)));
    await db?.drop();
  }, 60_000);

  it('accepts all 2,000 purchases sent over HTTP to the three instances', async () => {
    const plan = Array.from({ length: PURCHASES }, (_, i) => {
      const kind = i % 4;
      const nomor = kind === 0 ? SUKSES_NUMBER : kind === 1 ? GAGAL_NUMBER : `0812${String(randomInt(0, 1e8)).padStart(8, '0')}`;
      return { produkId: 1 + (i % 3), nomor, via: i % INSTANCES, user: i % USERS };
    });
    sent = await mapLimit(plan, IN_FLIGHT, async (p, i) => {
      // As a reseller app should: every purchase has its own ref_id, and a 503 (outcome unknown,
      // e.g. the request deadline on a machine this busy) is repeated with the same ref_id.
      let res = await httpJson(instances[p.via].baseUrl, 'POST', '/beli', {
        apiKey: apiKeys[p.user],
        body: { produk_id: p.produkId, nomor_tujuan: p.nomor, ref_id: `mp-multi-${i}` },
      });
      for (let attempt = 1; res.status === 503 && attempt <= 5; attempt++) {
        await sleep(200 * attempt);
        res = await httpJson(instances[(p.via + attempt) % INSTANCES].baseUrl, 'POST', '/beli', {
          apiKey: apiKeys[p.user],
          body: { produk_id: p.produkId, nomor_tujuan: p.nomor, ref_id: `mp-multi-${i}` },
        });
      }
      return { produkId: p.produkId, nomor: p.nomor, via: p.via, status: res.status, body: res.json };
    });

    // Later checks cover the purchases that were accepted, whatever happened to the others.
    acceptedIds = sent.filter((s) => s.status === 200).map((s) => s.body.id as number);

    const refused = sent.filter((s) => s.status !== 200);
    if (refused.length > 0) {
      const byAnswer = new Map<string, number>();
      for (const r of refused) {
        const key = `${r.status} ${r.body?.code ?? JSON.stringify(r.body)} (nomor ${r.nomor})`;
        byAnswer.set(key, (byAnswer.get(key) ?? 0) + 1);
      }
      const stderrs = instances.map((p) => p.diagnostics(30));
      throw new Error(
        `${refused.length} of ${PURCHASES} purchases were refused: ${JSON.stringify(Object.fromEntries(byAnswer))}\n${stderrs.join('\n')}`,
      );
    }
    for (const s of sent) expect(s.body).toMatchObject({ id: expect.any(Number), status: 'pending' });
    expect(new Set(acceptedIds).size).toBe(PURCHASES);
  }, 120_000);

  it('finishes every accepted purchase: nothing is left pending or proses', async () => {
    openAfterWait = await waitUntilSettled(ds!, 60_000);
    if (openAfterWait !== 0) {
      const stuck = await ds!.query(
        "SELECT id, status, attempts, locked_by, locked_until FROM transaksi WHERE status IN ('pending', 'proses') ORDER BY id LIMIT 10",
      );
      throw new Error(`${openAfterWait} transaksi still open after 60 s, e.g. ${JSON.stringify(stuck)}\n${diagnostics()}`);
    }
    expect(acceptedIds.length).toBeGreaterThan(0);
    const rows: Array<{ id: string; status: string }> = await ds!.query('SELECT id, status FROM transaksi ORDER BY id');
    // Exactly the accepted purchases exist (a refused one left no row behind), and all are final.
    expect(rows.map((r) => Number(r.id))).toEqual([...acceptedIds].sort((a, b) => a - b));
    const notFinal = rows.filter((r) => r.status !== 'sukses' && r.status !== 'gagal');
    expect(notFinal).toEqual([]);
  }, 90_000);

  it('gives the sandbox numbers their fixed outcomes', async () => {
    const rows: Array<{ nomor_tujuan: string; status: string; n: string }> = await ds!.query(
      'SELECT nomor_tujuan, status, COUNT(*) AS n FROM transaksi WHERE nomor_tujuan IN (?, ?) GROUP BY nomor_tujuan, status ORDER BY nomor_tujuan, status',
      [SUKSES_NUMBER, GAGAL_NUMBER],
    );
    expect(rows.map((r) => [r.nomor_tujuan, r.status, Number(r.n)])).toEqual([
      [SUKSES_NUMBER, 'sukses', PURCHASES / 4],
      [GAGAL_NUMBER, 'gagal', PURCHASES / 4],
    ]);
  });

  it('executes every purchase exactly once at the provider, with the recorded outcome', async () => {
    expect(await doubleExecutions(ds!)).toEqual([]);
    const notOnce: Array<{ id: string; n: string }> = await ds!.query(
      `SELECT t.id, COUNT(e.id) AS n FROM transaksi t LEFT JOIN ppob_sim_eksekusi e ON e.transaksi_id = t.id
       GROUP BY t.id HAVING COUNT(e.id) <> 1 ORDER BY t.id LIMIT 20`,
    );
    expect(notOnce.map((r) => [Number(r.id), Number(r.n)])).toEqual([]);
    const [orphans] = await ds!.query('SELECT COUNT(*) AS n FROM ppob_sim_eksekusi e LEFT JOIN transaksi t ON t.id = e.transaksi_id WHERE t.id IS NULL');
    expect(Number(orphans.n)).toBe(0);
    const mismatched = await ds!.query(
      'SELECT t.id, t.status, e.status AS executed FROM transaksi t JOIN ppob_sim_eksekusi e ON e.transaksi_id = t.id WHERE t.status <> e.status LIMIT 20',
    );
    expect(mismatched).toEqual([]);
  });

  it('spreads the work over more than one instance', async () => {
    const rows: Array<{ instance_id: string; n: string }> = await ds!.query(
      'SELECT instance_id, COUNT(*) AS n FROM ppob_sim_eksekusi GROUP BY instance_id ORDER BY instance_id',
    );
    const executors = rows.map((r) => r.instance_id);
    expect(executors.length).toBeGreaterThan(1);
    for (const id of executors) expect(instanceIds).toContain(id);
    expect(rows.reduce((sum, r) => sum + Number(r.n), 0)).toBe(PURCHASES);
  });

  it('keeps every ledger exact: saldo = ledger sum = last saldo_akhir = start - harga of non-gagal purchases', async () => {
    await expectExactLedgers(ds!, START_SALDO, USERS);
  });

  it('answers /saldo on every instance with the balance the ledger shows', async () => {
    const [user] = await ds!.query('SELECT id FROM users WHERE email = ?', ['mp-multi-0@example.com']);
    const check = (await checkLedger(ds!)).find((c) => c.userId === Number(user.id));
    expect(check).toBeDefined();
    const saldos = await Promise.all(instances.map((p) => httpJson(p.baseUrl, 'GET', '/saldo', { apiKey: apiKeys[0] })));
    for (const res of saldos) expect(res).toEqual({ status: 200, json: { saldo: check!.saldo } });
  });

  it('logs no error on any instance (no 500s, no failed result writes) under this load', () => {
    for (const p of instances) {
      const errors = p.errorLines();
      expect({ instance: p.name, errors: errors.slice(0, 5) }).toEqual({ instance: p.name, errors: [] });
    }
  });
});
