import { AppInstance, beli, get, registerUser, TestUser, waitFor, waitForIdle } from './support/factories';
import type { DbProxy } from './support/db-proxy';
import { ProxiedInstance, startBehindProxy } from './support/proxied-instance';
import { metricValue, scrape } from './support/metrics';
import { checkLedger, doubleExecutions } from './support/invariants';
import { describeFor } from './support/test-db';

const REQUEST_TIMEOUT_MS = 1_000;
/** The bound plus scheduling slack on a busy 2-core machine. */
const ANSWER_WITHIN_MS = REQUEST_TIMEOUT_MS + 1_500;

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = Date.now();
  const value = await work();
  return { value, ms: Date.now() - started };
}

/**
 * The database goes away under a running app (through a TCP proxy, so the shared server is not
 * touched): requests get 503 with a detail within a bound instead of hanging or 500, /health
 * says so, the processor backs off, and everything recovers by itself when the database is back.
 */
describeFor('mysql')('database outage on mysql', () => {
  let stack: ProxiedInstance;
  let proxy: DbProxy;
  let instance: AppInstance;
  let user: TestUser;

  beforeAll(async () => {
    stack = await startBehindProxy({
      DATABASE_POOL_SIZE: '4',
      REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
      PROCESSOR_INTERVAL_MS: '100',
      PROCESSOR_LEASE_MS: '4000',
    });
    ({ proxy, instance } = stack);
    user = await registerUser(instance.app, { saldo: 1_000_000 });
  });

  afterAll(async () => {
    await stack?.close();
  });

  describe('while the server does not answer (frozen)', () => {
    beforeAll(() => proxy.pause());
    afterAll(() => proxy.restore());

    it('answers an authenticated read 503 REQUEST_TIMEOUT with a detail, within the request deadline', async () => {
      const { value: res, ms } = await timed(() => get(instance.app, user.apiKey, '/saldo'));
      expect(res.statusCode).toBe(503);
      expect(res.json()).toMatchObject({ statusCode: 503, code: 'REQUEST_TIMEOUT' });
      expect(res.json().detail).toMatch(/ref_id/);
      expect(ms).toBeLessThan(ANSWER_WITHIN_MS);
    });

    it('answers /beli 503 too, so the client knows to repeat it with the same ref_id', async () => {
      const res = await beli(instance.app, user.apiKey, { ref_id: 'outage-frozen-1' });
      expect(res.statusCode).toBe(503);
      expect(res.json().detail).toBeTruthy();
    });

    it('reports the database down on /health, within its ping bound', async () => {
      const { value: res, ms } = await timed(() => instance.app.inject({ method: 'GET', url: '/health' }));
      expect(res.statusCode).toBe(503);
      expect(res.json()).toMatchObject({ code: 'DATABASE_UNAVAILABLE', db: 'down' });
      expect(res.json().detail).toBeTruthy();
      expect(ms).toBeLessThan(ANSWER_WITHIN_MS);
    });
  });

  describe('when it answers again', () => {
    it('serves /health and requests again without a restart', async () => {
      await waitFor(async () => ((await instance.app.inject({ method: 'GET', url: '/health' })).statusCode === 200 ? true : undefined), 15_000, '/health 200');
      expect((await get(instance.app, user.apiKey, '/saldo')).statusCode).toBe(200);
    });

    it('has at most one purchase for the ref_id answered 503, and repeating it returns that one', async () => {
      const repeat = await beli(instance.app, user.apiKey, { ref_id: 'outage-frozen-1' });
      expect(repeat.statusCode).toBe(200);
      const rows = await instance.dataSource.query("SELECT id FROM transaksi WHERE ref_id = 'outage-frozen-1'");
      expect(rows).toHaveLength(1);
      expect(repeat.json().id).toBe(Number(rows[0].id));
    });
  });

  describe('while the server refuses connections (stopped)', () => {
    let pendingIds: number[] = [];
    let failuresBefore = 0;

    beforeAll(async () => {
      for (let i = 0; i < 5; i++) {
        const res = await beli(instance.app, user.apiKey, { ref_id: `outage-cut-${i}` });
        expect(res.statusCode).toBe(200);
        pendingIds.push(res.json().id);
      }
      failuresBefore = metricValue(await scrape(instance.app), 'ppob_processor_claim_failures_total') ?? 0;
      proxy.cut();
    });
    afterAll(() => proxy.restore());

    it('answers 503 DATABASE_UNAVAILABLE with a detail, quickly, never 500', async () => {
      for (const url of ['/saldo', '/produk', '/riwayat']) {
        const { value: res, ms } = await timed(() => get(instance.app, user.apiKey, url));
        expect(res.statusCode).toBe(503);
        expect(res.json().detail).toBeTruthy();
        expect(ms).toBeLessThan(ANSWER_WITHIN_MS);
      }
      const register = await instance.app.inject({ method: 'POST', url: '/register', payload: { nama: 'X', email: 'outage@example.com' } });
      expect(register.statusCode).toBe(503);
    });

    it('backs the processor off instead of retrying every interval', async () => {
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      const text = await scrape(instance.app);
      const failures = (metricValue(text, 'ppob_processor_claim_failures_total') ?? 0) - failuresBefore;
      // The interval is 100 ms: 30 wake-ups in 3 s. With backoff (250, 500, 1000, 2000 ms ...)
      // only a handful of claims are tried.
      expect(failures).toBeGreaterThanOrEqual(1);
      expect(failures).toBeLessThanOrEqual(8);
      expect(metricValue(text, 'ppob_database_up')).toBe(0);
    });

    it('finishes the purchases made before the outage once the database is back, with exact ledgers', async () => {
      proxy.restore();
      await waitFor(async () => ((await instance.app.inject({ method: 'GET', url: '/health' })).statusCode === 200 ? true : undefined), 15_000, '/health 200');
      await waitForIdle(instance.dataSource, 20_000);
      const statuses = await instance.dataSource.query(`SELECT status FROM transaksi WHERE id IN (${pendingIds.join(',')})`);
      expect(statuses.map((r: { status: string }) => r.status).sort()).toEqual(Array(5).fill('sukses'));
      for (const check of await checkLedger(instance.dataSource)) {
        expect(check.saldo).toBe(check.ledgerSum);
        expect(check.saldo).toBe(check.expectedSaldo);
      }
      expect(await doubleExecutions(instance.dataSource)).toEqual([]);
    });
  });
});
