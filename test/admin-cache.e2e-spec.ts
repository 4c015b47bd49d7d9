import { AppInstance, beli, get, registerUser, startInstanceOn, waitFor } from './support/factories';
import { admin, adminEnv, userIdOf } from './support/admin';
import { describeEachEngine } from './support/test-app';

/** The bound: the auth and product caches at their longest. */
const BOUND_MS = 1_000;
/** Room for the requests themselves on a loaded machine; the cache bound is what is tested. */
const SLACK_MS = 300;
const ENV = adminEnv({ AUTH_CACHE_TTL_MS: String(BOUND_MS), PRODUK_CACHE_TTL_MS: String(BOUND_MS) });

async function msUntil(condition: () => Promise<boolean>): Promise<number> {
  const started = Date.now();
  await waitFor(async () => ((await condition()) ? true : undefined), 5_000, 'the change to show');
  return Date.now() - started;
}

describeEachEngine(
  'operator changes with the caches on, across two instances',
  (t) => {
    let second: AppInstance;
    beforeAll(async () => {
      second = await startInstanceOn(t.db, ENV);
    });
    afterAll(async () => {
      await second?.close();
    });

    it('refuses a suspended key at once on this instance and within the auth cache bound on the other', async () => {
      const user = await registerUser(t.app, { saldo: 10_000 });
      const id = await userIdOf(t.app, user.email);
      // Both instances have the key cached as active.
      for (const app of [t.app, second.app]) expect((await get(app, user.apiKey, '/saldo')).statusCode).toBe(200);
      expect((await admin(t.app, 'PATCH', `/admin/users/${id}`, { aktif: false })).statusCode).toBe(200);
      const suspendedAt = Date.now();
      expect((await get(t.app, user.apiKey, '/saldo')).json().code).toBe('USER_SUSPENDED');
      await msUntil(async () => (await get(second.app, user.apiKey, '/saldo')).statusCode === 403);
      expect(Date.now() - suspendedAt).toBeLessThanOrEqual(BOUND_MS + SLACK_MS);
      expect((await beli(second.app, user.apiKey)).json().code).toBe('USER_SUSPENDED');
    });

    it('shows a product change made through /admin at once on this instance and within the product cache bound on the other', async () => {
      const user = await registerUser(t.app, { saldo: 100_000 });
      for (const app of [t.app, second.app]) expect((await get(app, user.apiKey, '/produk')).statusCode).toBe(200);
      expect((await admin(t.app, 'PATCH', '/admin/produk/1', { harga: 12_345 })).statusCode).toBe(200);
      const changedAt = Date.now();
      expect((await beli(t.app, user.apiKey, { produk_id: 1 })).json().harga).toBe(12_345);
      await msUntil(async () => (await get(second.app, user.apiKey, '/produk')).json().find((p: { id: number }) => p.id === 1).harga === 12_345);
      expect(Date.now() - changedAt).toBeLessThanOrEqual(BOUND_MS + SLACK_MS);
      expect((await beli(second.app, user.apiKey, { produk_id: 1 })).json().harga).toBe(12_345);
    });
  },
  ENV,
);
