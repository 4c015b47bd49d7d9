import type { DataSource } from 'typeorm';
import {
  AppProcess,
  assertBuilt,
  ExitInfo,
  httpJson,
  mapLimit,
  openCheckDataSource,
  sleep,
  startInstance,
  startInstances,
  StartOptions,
  useInstanceCleanup,
  waitUntilSettled,
} from './support/instances';
import { doubleExecutions, expectExactLedgers } from './support/invariants';
import { createTestDatabase, describeFor, TestDatabase } from './support/test-db';

// Real processes on 2 cores: a generous default for the short checks; long steps set their own.
jest.setTimeout(60_000);

/**
 * Two real instances share one MySQL/MariaDB database; instance A is killed with SIGKILL while
 * it holds claimed rows (status 'proses', locked_by A). Its leases must expire and instance B
 * must take those rows back and finish them, executing nothing twice and losing no rupiah.
 */
const A = 'mp-crash-a';
const B = 'mp-crash-b';
const USERS = 5;
const PURCHASES = 150;
const START_SALDO = 5_000_000;
const MAX_ATTEMPTS = 3;

interface HeldRow {
  id: number;
  attempts: number;
}

describeFor('mysql')('an instance killed with SIGKILL while it holds claimed purchases', () => {
  useInstanceCleanup();

  let db: TestDatabase | undefined;
  let ds: DataSource | undefined;
  let a: AppProcess | undefined;
  let b: AppProcess | undefined;
  let restartedA: AppProcess | undefined;
  let apiKeys: string[] = [];
  let acceptedIds: number[] = [];
  let killInfo: ExitInfo | undefined;
  let held: HeldRow[] = [];

  const options = (name: string): StartOptions => ({
    name,
    env: {
      NODE_ENV: 'test',
      ALLOW_REGISTER_SALDO: 'true',
      DATABASE_URL: db!.url,
      // Several specs share one server (max_connections 151 by default): keep each pool small.
      DATABASE_POOL_SIZE: '10',
      LOG_LEVEL: 'warn',
      PROCESSOR_INSTANCE_ID: name,
      PROCESSOR_LEASE_MS: '3000',
      PROCESSOR_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
      PROCESSOR_CONCURRENCY: '20',
      PROCESSOR_BATCH_SIZE: '10',
      PROCESSOR_INTERVAL_MS: '200',
      PPOB_SIM_DELAY_MS: '800-1500',
      PPOB_SIM_SUCCESS_RATE: '0.8',
    },
  });
  const diagnostics = () => [a, b, restartedA].filter((p): p is AppProcess => !!p).map((p) => p.diagnostics(20)).join('\n');

  beforeAll(async () => {
    assertBuilt();
    db = await createTestDatabase('mysql');
    [a, b] = await startInstances(2, (i) => options(i === 0 ? A : B));
    ds = await openCheckDataSource(db.url);
    apiKeys = await mapLimit(Array.from({ length: USERS }, (_, i) => i), USERS, async (i) => {
      const res = await httpJson(b!.baseUrl, 'POST', '/register', {
        body: { nama: `Reseller crash ${i}`, email: `mp-crash-${i}@example.com`, saldo: START_SALDO },
      });
      if (res.status !== 200) throw new Error(`register ${i} failed: ${res.status} ${JSON.stringify(res.json)}`);
      return res.json.api_key as string;
    });
  }, 120_000);

  afterAll(async () => {
    await ds?.destroy().catch(() => undefined);
    await Promise.all([a, b, restartedA].map((p) => p?.kill('SIGKILL').catch(() => undefined)));
    await db?.drop();
  }, 60_000);

  it('accepts 150 purchases sent to both instances', async () => {
    const results = await mapLimit(Array.from({ length: PURCHASES }, (_, i) => i), 16, async (i) => {
      const nomor = i % 3 === 0 ? '087800000001' : i % 3 === 1 ? '087800000002' : `0813${String(i).padStart(8, '0')}`;
      const target = i % 2 === 0 ? a! : b!;
      return httpJson(target.baseUrl, 'POST', '/beli', {
        apiKey: apiKeys[i % USERS],
        body: { produk_id: 1 + (i % 3), nomor_tujuan: nomor, ref_id: `crash-${i}` },
      });
    });
    acceptedIds = results.filter((r) => r.status === 200).map((r) => r.json.id as number);
    expect(results.filter((r) => r.status !== 200).slice(0, 3)).toEqual([]);
    expect(acceptedIds).toHaveLength(PURCHASES);
  }, 60_000);

  it('kills instance A with SIGKILL while it holds rows in proses', async () => {
    // Bounded wait for A to be mid-batch: it has claimed rows and not finished them.
    const deadline = Date.now() + 20_000;
    let holding = 0;
    while (Date.now() < deadline) {
      const [row] = await ds!.query("SELECT COUNT(*) AS n FROM transaksi WHERE status = 'proses' AND locked_by = ?", [A]);
      holding = Number(row.n);
      if (holding > 0) break;
      await sleep(20);
    }
    if (holding === 0) throw new Error(`instance A never held a row in proses\n${diagnostics()}`);

    killInfo = await a!.kill('SIGKILL');
    expect(killInfo).toEqual({ code: null, signal: 'SIGKILL' });

    // A is dead: what it still holds now is exactly what it left unfinished.
    const rows: Array<{ id: string; attempts: number }> = await ds!.query(
      "SELECT id, attempts FROM transaksi WHERE status = 'proses' AND locked_by = ? ORDER BY id",
      [A],
    );
    held = rows.map((r) => ({ id: Number(r.id), attempts: Number(r.attempts) }));
    expect(held.length).toBeGreaterThan(0);
  }, 40_000);

  it('finishes every purchase after the crash: nothing stays pending or proses', async () => {
    expect(held.length).toBeGreaterThan(0);
    const open = await waitUntilSettled(ds!, 30_000);
    if (open !== 0) {
      const stuck = await ds!.query(
        "SELECT id, status, attempts, locked_by, locked_until FROM transaksi WHERE status IN ('pending', 'proses') ORDER BY id LIMIT 10",
      );
      throw new Error(`${open} transaksi still open 30 s after the crash, e.g. ${JSON.stringify(stuck)}\n${diagnostics()}`);
    }
    const rows: Array<{ id: string; status: string }> = await ds!.query('SELECT id, status FROM transaksi ORDER BY id');
    expect(rows.map((r) => Number(r.id))).toEqual([...acceptedIds].sort((x, y) => x - y));
    expect(rows.filter((r) => r.status !== 'sukses' && r.status !== 'gagal')).toEqual([]);
  }, 45_000);

  it('lets instance B take back and finish the rows A held, each claimed again', async () => {
    expect(held.length).toBeGreaterThan(0);
    const ids = held.map((h) => h.id);
    const rows: Array<{ id: string; status: string; attempts: number; locked_by: string | null }> = await ds!.query(
      `SELECT id, status, attempts, locked_by FROM transaksi WHERE id IN (${ids.map(() => '?').join(', ')}) ORDER BY id`,
      ids,
    );
    const before = new Map(held.map((h) => [h.id, h.attempts]));
    for (const row of rows) {
      const id = Number(row.id);
      expect({ id, status: row.status === 'sukses' || row.status === 'gagal' ? 'final' : row.status, locked_by: row.locked_by }).toEqual({
        id,
        status: 'final',
        locked_by: null,
      });
      // Claimed again after A's lease expired (A's claim was attempt 1 at least).
      expect(Number(row.attempts)).toBeGreaterThanOrEqual(Math.max(2, before.get(id)! + 1));
      expect(Number(row.attempts)).toBeLessThanOrEqual(MAX_ATTEMPTS + 1);
    }

    // Each held row was executed once: by A before it died (B then reuses that outcome), or by B.
    const executions: Array<{ transaksi_id: string; instance_id: string; status: string }> = await ds!.query(
      `SELECT e.transaksi_id, e.instance_id, e.status FROM ppob_sim_eksekusi e WHERE e.transaksi_id IN (${ids.map(() => '?').join(', ')})`,
      ids,
    );
    expect(executions.map((e) => Number(e.transaksi_id)).sort((x, y) => x - y)).toEqual(ids);
    for (const e of executions) expect([A, B]).toContain(e.instance_id);
    const statusById = new Map(rows.map((r) => [Number(r.id), r.status]));
    for (const e of executions) expect([Number(e.transaksi_id), e.status]).toEqual([Number(e.transaksi_id), statusById.get(Number(e.transaksi_id))]);
    // A was killed mid-batch: its provider calls (800-1500 ms each) were cut off, so B executed some of its rows.
    expect(executions.filter((e) => e.instance_id === B).length).toBeGreaterThan(0);
  });

  it('executes no purchase twice and records exactly one execution per purchase', async () => {
    expect(await doubleExecutions(ds!)).toEqual([]);
    const notOnce = await ds!.query(
      `SELECT t.id, COUNT(e.id) AS n FROM transaksi t LEFT JOIN ppob_sim_eksekusi e ON e.transaksi_id = t.id
       GROUP BY t.id HAVING COUNT(e.id) <> 1 LIMIT 20`,
    );
    expect(notOnce).toEqual([]);
    const mismatched = await ds!.query(
      'SELECT t.id, t.status, e.status AS executed FROM transaksi t JOIN ppob_sim_eksekusi e ON e.transaksi_id = t.id WHERE t.status <> e.status LIMIT 20',
    );
    expect(mismatched).toEqual([]);
  });

  it('keeps every ledger exact after the crash', async () => {
    await expectExactLedgers(ds!, START_SALDO, USERS);
  });

  it('lets a restarted instance A rejoin: it serves /health and finishes a new purchase', async () => {
    restartedA = await startInstance(options(A));
    const health = await httpJson(restartedA.baseUrl, 'GET', '/health');
    expect(health).toEqual({ status: 200, json: { status: 'ok', db: 'up' } });

    const res = await httpJson(restartedA.baseUrl, 'POST', '/beli', {
      apiKey: apiKeys[0],
      body: { produk_id: 1, nomor_tujuan: '087800000001', ref_id: 'after-restart' },
    });
    expect(res.status).toBe(200);
    const id = res.json.id as number;
    const deadline = Date.now() + 20_000;
    let status = 'pending';
    while (Date.now() < deadline) {
      status = (await httpJson(restartedA.baseUrl, 'GET', `/status/${id}`, { apiKey: apiKeys[0] })).json.status;
      if (status === 'sukses' || status === 'gagal') break;
      await sleep(100);
    }
    expect(status).toBe('sukses');
    expect(await doubleExecutions(ds!)).toEqual([]);
  }, 90_000);
});
