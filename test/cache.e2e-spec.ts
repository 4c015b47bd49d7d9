import { setTimeout as sleep } from 'node:timers/promises';
import { AppInstance, beli, get, registerUser, startInstanceOn } from './support/factories';
import { describeFor, ENGINES } from './support/test-db';
import { useTestApp } from './support/test-app';

/** What the issue allows: every instance refuses a rotated key, and sees a product change, within 1 s. */
const CONTRACT_MS = 1_000;
const CACHES_ON = { AUTH_CACHE_TTL_MS: '1000', PRODUK_CACHE_TTL_MS: '1000' };

/**
 * Waits until the contract has run out since `since` (taken after the change committed), then
 * the change must show at the first look. Measuring how long polling took instead would count
 * the polls' own latency, which a loaded machine stretches past any margin.
 */
async function shownWithinContract(since: number, look: () => Promise<boolean>): Promise<void> {
  await sleep(Math.max(0, since + CONTRACT_MS - Date.now()));
  expect(await look()).toBe(true);
}

describe.each(ENGINES)('caches at their longest TTL on %s', (engine) => {
  describeFor(engine)(engine, () => {
    const t = useTestApp(engine, CACHES_ON);
    let second: AppInstance;

    beforeAll(async () => {
      second = await startInstanceOn(t.db, CACHES_ON);
    });
    afterAll(async () => {
      await second?.close();
    });

    it('refuses a rotated key at once on the instance that rotated it', async () => {
      const user = await registerUser(t.app);
      expect((await get(t.app, user.apiKey, '/saldo')).statusCode).toBe(200);
      const rotated = await t.app.inject({ method: 'POST', url: '/generate-key', headers: { 'x-api-key': user.apiKey } });
      expect(rotated.statusCode).toBe(200);
      expect((await get(t.app, user.apiKey, '/saldo')).statusCode).toBe(401);
      expect((await get(t.app, rotated.json().api_key, '/saldo')).statusCode).toBe(200);
    });

    it('refuses a rotated key on another instance that had it cached, within 1 s, and accepts the new key there at once', async () => {
      const user = await registerUser(t.app);
      // The second instance caches the key.
      expect((await get(second.app, user.apiKey, '/saldo')).statusCode).toBe(200);
      const rotated = await t.app.inject({ method: 'POST', url: '/generate-key', headers: { 'x-api-key': user.apiKey } });
      const rotatedAt = Date.now();
      expect((await get(second.app, rotated.json().api_key, '/saldo')).statusCode).toBe(200);
      await shownWithinContract(rotatedAt, async () => (await get(second.app, user.apiKey, '/saldo')).statusCode === 401);
    });

    it('shows a price change and a deactivated product on every instance within 1 s, for /produk and /beli', async () => {
      const user = await registerUser(t.app, { saldo: 1_000_000 });
      // Both instances cache the catalogue.
      for (const app of [t.app, second.app]) expect((await get(app, user.apiKey, '/produk')).statusCode).toBe(200);

      await t.dataSource.query('UPDATE produk SET harga = harga + 111 WHERE id = 1');
      const [{ harga }] = await t.dataSource.query('SELECT harga FROM produk WHERE id = 1');
      const changedAt = Date.now();
      for (const app of [t.app, second.app]) {
        await shownWithinContract(changedAt, async () => (await get(app, user.apiKey, '/produk')).json().find((p: { id: number }) => p.id === 1).harga === Number(harga));
      }
      const bought = await beli(second.app, user.apiKey, { produk_id: 1 });
      expect(bought.json().harga).toBe(Number(harga));

      await t.dataSource.query('UPDATE produk SET aktif = 0 WHERE id = 2');
      const deactivatedAt = Date.now();
      await shownWithinContract(deactivatedAt, async () => (await beli(second.app, user.apiKey, { produk_id: 2 })).statusCode === 422);
      await t.dataSource.query('UPDATE produk SET aktif = 1 WHERE id = 2');
    });
  });
});

describe('AUTH_CACHE_TTL_MS and PRODUK_CACHE_TTL_MS bounds', () => {
  it('refuses a TTL above 1 s, which would break the contract', () => {
    const { loadConfig } = jest.requireActual('../src/config/app.config');
    expect(() => loadConfig({ AUTH_CACHE_TTL_MS: '1500' })).toThrow(/AUTH_CACHE_TTL_MS must be a whole number from 0 to 1000/);
    expect(() => loadConfig({ PRODUK_CACHE_TTL_MS: '5000' })).toThrow(/PRODUK_CACHE_TTL_MS must be a whole number from 0 to 1000/);
  });
});
