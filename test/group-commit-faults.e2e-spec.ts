import { setTimeout as sleep } from 'node:timers/promises';
import type { DataSource } from 'typeorm';
import { AppInstance, beli, registerUser, saldoOf, TestUser } from './support/factories';
import type { DbProxy } from './support/db-proxy';
import { ProxiedInstance, startBehindProxy } from './support/proxied-instance';
import { expectConsistentLedgers } from './support/invariants';
import { metricValue, scrape } from './support/metrics';
import { describeEachEngine } from './support/test-app';
import { describeFor } from './support/test-db';

/**
 * The /beli group commit when a batch fails (issue 13): a failing statement, a deadlock, the
 * database going away, a request deadline passing mid-batch. Every purchase gets an answer, and
 * nothing of a failed batch is half-written. The faults come from a trigger on mutasi (the last
 * insert of a batch, after the debit and the transaksi rows) that fires for one destination
 * number; the window is long enough that concurrent requests share a batch.
 */
const WINDOW_MS = 30;
const POISON = '089900000001';

async function transaksiFor(dataSource: DataSource, nomor: string): Promise<number> {
  const [row] = await dataSource.query('SELECT COUNT(*) AS n FROM transaksi WHERE nomor_tujuan = ?', [nomor]);
  return Number(row.n);
}

describeEachEngine(
  'POST /beli group commit, a failing purchase',
  (t, engine) => {
    beforeAll(async () => {
      await t.dataSource.query(
        engine === 'mysql'
          ? `CREATE TRIGGER poison_mutasi BEFORE INSERT ON mutasi FOR EACH ROW
             BEGIN IF NEW.keterangan LIKE '%${POISON}%' THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'poisoned purchase'; END IF; END`
          : `CREATE TRIGGER poison_mutasi BEFORE INSERT ON mutasi WHEN NEW.keterangan LIKE '%${POISON}%'
             BEGIN SELECT RAISE(ABORT, 'poisoned purchase'); END`,
      );
    });

    it('fails alone: the batch rolls back whole and its other purchases are written one by one', async () => {
      const user = await registerUser(t.app, { saldo: 1_000_000 });
      const nomors = Array.from({ length: 10 }, (_, i) => (i === 4 ? POISON : `08120000000${i}`));
      const results = await Promise.all(nomors.map((nomor_tujuan, i) => beli(t.app, user.apiKey, { produk_id: 1, nomor_tujuan, ref_id: `fault-${i}` })));
      expect(results.map((r) => r.statusCode)).toEqual(nomors.map((n) => (n === POISON ? 500 : 200)));
      expect(results[4].json()).toMatchObject({ statusCode: 500, code: 'INTERNAL_ERROR', detail: expect.any(String) });
      expect(JSON.stringify(results[4].json())).not.toMatch(/poisoned/);
      expect(await saldoOf(t.app, user.apiKey)).toBe(1_000_000 - 9 * 12_000);
      expect(await transaksiFor(t.dataSource, POISON)).toBe(0);
      await expectConsistentLedgers(t.dataSource);
    });
  },
  { PROCESSOR_ENABLED: 'false', BELI_GROUP_COMMIT_WINDOW_MS: String(WINDOW_MS) },
);

describeFor('mysql')('POST /beli group commit under database faults on mysql', () => {
  let stack: ProxiedInstance;
  let proxy: DbProxy;
  let instance: AppInstance;
  let user: TestUser;

  beforeAll(async () => {
    stack = await startBehindProxy({
      // Two connections: the deadlock trigger below fails the first batch on each connection once,
      // so a batch meets at most two deadlocks, fewer than the runner's five attempts.
      DATABASE_POOL_SIZE: '2',
      REQUEST_TIMEOUT_MS: '1000',
      PROCESSOR_ENABLED: 'false',
      BELI_GROUP_COMMIT_WINDOW_MS: String(WINDOW_MS),
    });
    ({ proxy, instance } = stack);
    user = await registerUser(instance.app, { saldo: 10_000_000 });
  });

  afterAll(async () => {
    await stack?.close();
  });

  afterEach(async () => {
    proxy.restore();
    await instance.dataSource.query('DROP TRIGGER IF EXISTS fault_mutasi');
  });

  it('retries a batch that deadlocks as a whole and then commits every purchase once', async () => {
    // A user variable survives the rollback of the statement that set it: the first mutasi insert
    // on each pooled connection deadlocks (errno 1213, as InnoDB reports it), later ones pass.
    await instance.dataSource.query(
      `CREATE TRIGGER fault_mutasi BEFORE INSERT ON mutasi FOR EACH ROW
       BEGIN IF @ppob_deadlocked IS NULL THEN SET @ppob_deadlocked = 1;
         SIGNAL SQLSTATE '40001' SET MYSQL_ERRNO = 1213, MESSAGE_TEXT = 'Deadlock found when trying to get lock'; END IF; END`,
    );
    const before = metricValue(await scrape(instance.app), 'ppob_db_deadlocks_total') ?? 0;
    const start = await saldoOf(instance.app, user.apiKey);
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => beli(instance.app, user.apiKey, { produk_id: 1, ref_id: `deadlock-${i}` })));
    expect(results.map((r) => r.statusCode)).toEqual(Array(10).fill(200));
    expect(new Set(results.map((r) => r.json().id)).size).toBe(10);
    expect(metricValue(await scrape(instance.app), 'ppob_db_deadlocks_total')).toBeGreaterThan(before);
    expect(await saldoOf(instance.app, user.apiKey)).toBe(start - 10 * 12_000);
    const [row] = await instance.dataSource.query("SELECT COUNT(*) AS n FROM transaksi WHERE ref_id LIKE 'deadlock-%'");
    expect(Number(row.n)).toBe(10);
    await expectConsistentLedgers(instance.dataSource);
  });

  it('answers every purchase of a batch when the database goes away in the middle of it, and commits none of them', async () => {
    // Holds the batch inside its transaction (after the debit, while its transaksi rows go in)
    // long enough to cut the connection under it.
    await instance.dataSource.query(`CREATE TRIGGER fault_mutasi AFTER INSERT ON transaksi FOR EACH ROW BEGIN DO SLEEP(0.1); END`);
    const start = await saldoOf(instance.app, user.apiKey);
    const requests = Promise.all(Array.from({ length: 8 }, (_, i) => beli(instance.app, user.apiKey, { produk_id: 1, ref_id: `away-${i}` })));
    await sleep(300);
    proxy.cut();
    const results = await requests;
    for (const r of results) {
      expect(r.statusCode).toBe(503);
      expect(r.json().detail).toEqual(expect.any(String));
    }
    proxy.restore();
    // The server rolls the cut connection's transaction back once its statement ends.
    await sleep(1_000);
    await instance.dataSource.query('DROP TRIGGER IF EXISTS fault_mutasi');
    const [row] = await instance.dataSource.query("SELECT COUNT(*) AS n FROM transaksi WHERE ref_id LIKE 'away-%'");
    expect(Number(row.n)).toBe(0);
    expect(await saldoOf(instance.app, user.apiKey)).toBe(start);
    await expectConsistentLedgers(instance.dataSource);
  });

  it('commits nothing of a batch whose purchases were answered 503 by the request deadline', async () => {
    // Past REQUEST_TIMEOUT_MS (1 s) before the batch reaches its COMMIT: its one debit UPDATE
    // (a trigger on users fires once per batch) takes 1.5 s.
    await instance.dataSource.query(`CREATE TRIGGER fault_mutasi BEFORE UPDATE ON users FOR EACH ROW BEGIN DO SLEEP(1.5); END`);
    const start = await saldoOf(instance.app, user.apiKey);
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => beli(instance.app, user.apiKey, { produk_id: 1, ref_id: `late-${i}` })));
    for (const r of results) expect(r.json()).toMatchObject({ statusCode: 503, code: 'REQUEST_TIMEOUT' });
    await sleep(2_000);
    await instance.dataSource.query('DROP TRIGGER IF EXISTS fault_mutasi');
    const [row] = await instance.dataSource.query("SELECT COUNT(*) AS n FROM transaksi WHERE ref_id LIKE 'late-%'");
    expect(Number(row.n)).toBe(0);
    expect(await saldoOf(instance.app, user.apiKey)).toBe(start);
    // Repeating them now succeeds, once each.
    const again = await Promise.all(Array.from({ length: 6 }, (_, i) => beli(instance.app, user.apiKey, { produk_id: 1, ref_id: `late-${i}` })));
    expect(again.map((r) => r.statusCode)).toEqual(Array(6).fill(200));
    expect(await saldoOf(instance.app, user.apiKey)).toBe(start - 6 * 12_000);
    await expectConsistentLedgers(instance.dataSource);
  });
});
