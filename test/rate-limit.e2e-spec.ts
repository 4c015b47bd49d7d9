import Redis from 'ioredis';
import { get, registerUser, startInstanceOn, waitFor } from './support/factories';
import { freePort } from './support/instances';
import { metricValue, scrape } from './support/metrics';
import { startTestApp, TestApp, useTestApp } from './support/test-app';
import { describeFor } from './support/test-db';

jest.setTimeout(60_000);

const PREFIX = `ppob-test:${process.pid}:${Date.now()}:`;

async function dropRedisKeys(prefix: string): Promise<void> {
  const redis = new Redis('redis://127.0.0.1:6379', { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    const keys = await redis.keys(`*${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
  } finally {
    redis.disconnect();
  }
}

function register(t: TestApp, remoteAddress: string, n: number) {
  return t.app.inject({ method: 'POST', url: '/register', remoteAddress, payload: { nama: `RL ${n}`, email: `rl${n}.${remoteAddress}.${process.pid}@example.com` } });
}

// The limiter does not touch the database: SQLite is enough, and Redis is the engine under test.
describeFor('sqlite')('rate limits', () => {
  describe('per reseller, in memory', () => {
    const t = useTestApp('sqlite', { RATE_LIMIT_PER_MINUTE: '5' });

    it('answers 429 RATE_LIMITED with Retry-After after the limit, with the X-RateLimit headers before', async () => {
      const user = await registerUser(t.app);
      const other = await registerUser(t.app);
      for (let i = 0; i < 5; i++) {
        const res = await get(t.app, user.apiKey, i % 2 ? '/saldo' : '/produk');
        expect(res.statusCode).toBe(200);
        expect(res.headers['x-ratelimit-limit']).toBe('5');
        expect(res.headers['x-ratelimit-remaining']).toBe(String(4 - i));
        expect(Number(res.headers['x-ratelimit-reset'])).toBeGreaterThan(0);
      }
      const limited = await get(t.app, user.apiKey, '/riwayat');
      expect(limited.statusCode).toBe(429);
      expect(limited.json()).toMatchObject({ statusCode: 429, code: 'RATE_LIMITED' });
      expect(limited.json().detail).toMatch(/coba lagi/);
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      // Counted per reseller: another one is not affected.
      expect((await get(t.app, other.apiKey, '/saldo')).statusCode).toBe(200);
      expect(metricValue(await scrape(t.app), 'ppob_rate_limited_total', { limiter: 'reseller' })).toBeGreaterThanOrEqual(1);
    });

    it("uses the operator's per-reseller override (rate_limit_per_minute), 0 meaning unlimited", async () => {
      const big = await registerUser(t.app);
      await t.dataSource.query('UPDATE users SET rate_limit_per_minute = 12 WHERE email = ?', [big.email]);
      for (let i = 0; i < 12; i++) expect((await get(t.app, big.apiKey, '/saldo')).statusCode).toBe(200);
      expect((await get(t.app, big.apiKey, '/saldo')).statusCode).toBe(429);
      const unlimited = await registerUser(t.app);
      await t.dataSource.query('UPDATE users SET rate_limit_per_minute = 0 WHERE email = ?', [unlimited.email]);
      for (let i = 0; i < 20; i++) expect((await get(t.app, unlimited.apiKey, '/saldo')).statusCode).toBe(200);
    });
  });

  describe('per IP on /register and on failed key lookups', () => {
    const t = useTestApp('sqlite', { RATE_LIMIT_REGISTER_PER_HOUR: '3', RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '3' });

    it('limits /register per client IP per hour', async () => {
      for (let i = 0; i < 3; i++) expect((await register(t, '198.51.100.1', i)).statusCode).toBe(200);
      const limited = await register(t, '198.51.100.1', 3);
      expect(limited.statusCode).toBe(429);
      expect(limited.json().code).toBe('RATE_LIMITED');
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(3000);
      expect((await register(t, '198.51.100.2', 4)).statusCode).toBe(200);
    });

    it('after 3 failed key lookups an IP gets 429, even with a valid key; other IPs do not', async () => {
      const ok = (await register(t, '198.51.100.3', 10)).json().api_key;
      const from = (remoteAddress: string, key: string) => t.app.inject({ method: 'GET', url: '/saldo', remoteAddress, headers: { 'x-api-key': key } });
      for (let i = 0; i < 3; i++) expect((await from('203.0.113.66', 'a'.repeat(64))).statusCode).toBe(401);
      const guessed = await from('203.0.113.66', 'b'.repeat(64));
      expect(guessed.statusCode).toBe(429);
      expect(guessed.json().code).toBe('RATE_LIMITED');
      expect(Number(guessed.headers['retry-after'])).toBeGreaterThan(0);
      expect((await from('203.0.113.66', ok)).statusCode).toBe(429);
      expect((await from('203.0.113.67', ok)).statusCode).toBe(200);
    });
  });

  describe('failed key lookups behind a proxy (TRUST_PROXY), IPv6 per /64', () => {
    const t = useTestApp('sqlite', { RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '3', RATE_LIMIT_REGISTER_PER_HOUR: '3', TRUST_PROXY: '127.0.0.1' });
    const via = (client: string, key: string) => t.app.inject({ method: 'GET', url: '/saldo', headers: { 'x-api-key': key, 'x-forwarded-for': client } });

    it('counts IPv6 clients of one /64 together, and another /64 apart', async () => {
      const ok = (await registerUser(t.app)).apiKey;
      expect((await via('2001:db8:aa:1::1', 'a'.repeat(64))).statusCode).toBe(401);
      expect((await via('2001:db8:aa:1::2', 'a'.repeat(64))).statusCode).toBe(401);
      expect((await via('2001:db8:aa:1:8000::3', 'a'.repeat(64))).statusCode).toBe(401);
      // The fourth failure of the /64 crosses its limit, from yet another address of it.
      const crossed = await via('2001:db8:aa:1::4', 'a'.repeat(64));
      expect(crossed.statusCode).toBe(429);
      expect(crossed.json().code).toBe('RATE_LIMITED');
      expect(Number(crossed.headers['retry-after'])).toBeGreaterThan(0);
      // Blocked as a whole: any address of it, even with a valid key; another /64 is not.
      expect((await via('2001:db8:aa:1:ffff:ffff:ffff:fffe', ok)).statusCode).toBe(429);
      expect((await via('2001:db8:aa:2::1', ok)).statusCode).toBe(200);
    });

    it('limits /register per /64 too', async () => {
      const signUp = (client: string, n: number) =>
        t.app.inject({ method: 'POST', url: '/register', headers: { 'x-forwarded-for': client }, payload: { nama: `RL6 ${n}`, email: `rl6.${n}.${process.pid}@example.com` } });
      for (let i = 1; i <= 3; i++) expect((await signUp(`2001:db8:bb:1::${i}`, i)).statusCode).toBe(200);
      expect((await signUp('2001:db8:bb:1:abcd::4', 4)).statusCode).toBe(429);
      expect((await signUp('2001:db8:bb:2::1', 5)).statusCode).toBe(200);
    });

    it('keeps IPv4 and IPv4-mapped clients per address (a mapped address is its IPv4)', async () => {
      const ok = (await registerUser(t.app)).apiKey;
      for (let i = 0; i < 3; i++) expect((await via('::ffff:198.51.100.7', 'a'.repeat(64))).statusCode).toBe(401);
      expect((await via('198.51.100.7', 'a'.repeat(64))).statusCode).toBe(429);
      expect((await via('::ffff:198.51.100.7', ok)).statusCode).toBe(429);
      expect((await via('::ffff:198.51.100.8', ok)).statusCode).toBe(200);
      expect((await via('198.51.100.6', ok)).statusCode).toBe(200);
    });

    it('counts IPv4 clients seen through a NAT64/SIIT translator by their IPv4, not as one /64 for the whole IPv4 internet', async () => {
      // An IPv6-only server behind a translator (RFC 6052 / RFC 7755 SIIT-DC) sees every IPv4
      // client as 64:ff9b::a.b.c.d (or ::ffff:0:a.b.c.d): one /64 would let one of them block all.
      const ok = (await registerUser(t.app)).apiKey;
      for (let i = 0; i < 4; i++) await via('64:ff9b::198.51.100.9', 'a'.repeat(64));
      expect((await via('64:ff9b::198.51.100.9', ok)).statusCode).toBe(429);
      expect((await via('64:ff9b::203.0.113.10', ok)).statusCode).toBe(200);
      for (let i = 0; i < 4; i++) await via('::ffff:0:198.51.100.11', 'a'.repeat(64));
      expect((await via('::ffff:0:198.51.100.11', ok)).statusCode).toBe(429);
      expect((await via('::ffff:0:203.0.113.12', ok)).statusCode).toBe(200);
    });
  });

  describe('shared through Redis (REDIS_URL)', () => {
    afterAll(() => dropRedisKeys(PREFIX));
    const t = useTestApp('sqlite', { RATE_LIMIT_PER_MINUTE: '6', REDIS_URL: 'redis://127.0.0.1:6379', RATE_LIMIT_REDIS_PREFIX: PREFIX });

    it('two instances count one reseller together, under the test prefix', async () => {
      const other = await startInstanceOn(t.db, { RATE_LIMIT_PER_MINUTE: '6', REDIS_URL: 'redis://127.0.0.1:6379', RATE_LIMIT_REDIS_PREFIX: PREFIX });
      try {
        const user = await registerUser(t.app);
        for (let i = 0; i < 6; i++) expect((await get(i % 2 ? t.app : other.app, user.apiKey, '/saldo')).statusCode).toBe(200);
        expect((await get(other.app, user.apiKey, '/saldo')).statusCode).toBe(429);
        expect((await get(t.app, user.apiKey, '/saldo')).statusCode).toBe(429);
      } finally {
        await other.close();
      }
      const redis = new Redis('redis://127.0.0.1:6379');
      try {
        expect((await redis.keys(`*${PREFIX}*`)).length).toBeGreaterThan(0);
      } finally {
        redis.disconnect();
      }
    });
  });

  describe('failed-key blocks shared through Redis (REDIS_URL)', () => {
    // A prefix of this block's own: its pub/sub channel is heard by no other test's instances.
    const prefix = `${PREFIX}blocks:`;
    afterAll(() => dropRedisKeys(prefix));
    const env = { RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '3', REDIS_URL: 'redis://127.0.0.1:6379', RATE_LIMIT_REDIS_PREFIX: prefix };
    const t = useTestApp('sqlite', env);
    const from = (app: TestApp['app'], remoteAddress: string, key: string) => app.inject({ method: 'GET', url: '/saldo', remoteAddress, headers: { 'x-api-key': key } });

    it('an IP blocked on instance A gets 429 on instance B at once, even with a valid key, with no failure on B', async () => {
      const b = await startInstanceOn(t.db, env);
      try {
        const ok = (await registerUser(t.app)).apiKey;
        expect((await from(b.app, '203.0.113.90', ok)).statusCode).toBe(200);
        for (let i = 0; i < 3; i++) expect((await from(t.app, '203.0.113.90', 'a'.repeat(64))).statusCode).toBe(401);
        expect((await from(t.app, '203.0.113.90', 'a'.repeat(64))).statusCode).toBe(429);
        // B hears of the block through Redis (pub/sub, a moment), not at its own next failure.
        const onB = await waitFor(async () => {
          const res = await from(b.app, '203.0.113.90', ok);
          return res.statusCode === 429 ? res : undefined;
        }, 2_000, 'the block on instance B');
        expect(onB.json().code).toBe('RATE_LIMITED');
        expect(Number(onB.headers['retry-after'])).toBeGreaterThan(0);
        expect(metricValue(await scrape(b.app), 'ppob_rate_limited_total', { limiter: 'auth-failures' })).toBe(1);
        expect((await from(b.app, '203.0.113.91', ok)).statusCode).toBe(200);
      } finally {
        await b.close();
      }
    });
  });

  describe('the block channel with odd messages (REDIS_URL)', () => {
    const prefix = `${PREFIX}odd:`;
    afterAll(() => dropRedisKeys(prefix));
    const t = useTestApp('sqlite', { RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '3', REDIS_URL: 'redis://127.0.0.1:6379', RATE_LIMIT_REDIS_PREFIX: prefix });

    it('ignores JSON null, arrays, numbers and garbage on the channel, and still honours the next real block', async () => {
      // Before: JSON.parse('null') then null.from threw inside ioredis's 'message' event, an
      // uncaught exception that ends every instance subscribed to the channel at once.
      const uncaught: unknown[] = [];
      const onUncaught = (err: unknown) => void uncaught.push(err);
      process.prependListener('uncaughtException', onUncaught);
      const redis = new Redis('redis://127.0.0.1:6379', { maxRetriesPerRequest: 1 });
      try {
        const ok = (await registerUser(t.app)).apiKey;
        for (const message of ['null', '[]', '42', '"text"', '{', '{"key": null, "ms": 1000}', '{"key": "203.0.113.78", "ms": "60000"}']) {
          await redis.publish(`${prefix}auth-block`, message);
        }
        await redis.publish(`${prefix}auth-block`, JSON.stringify({ from: 'another-instance', key: '203.0.113.77', ms: 60_000 }));
        const blocked = await waitFor(async () => {
          const res = await t.app.inject({ method: 'GET', url: '/saldo', remoteAddress: '203.0.113.77', headers: { 'x-api-key': ok } });
          return res.statusCode === 429 ? res : undefined;
        }, 2_000, 'the block heard on the channel');
        expect(blocked.json().code).toBe('RATE_LIMITED');
        expect((await t.app.inject({ method: 'GET', url: '/saldo', remoteAddress: '203.0.113.78', headers: { 'x-api-key': ok } })).statusCode).toBe(200);
        expect(uncaught.map(String)).toEqual([]);
      } finally {
        process.removeListener('uncaughtException', onUncaught);
        redis.disconnect();
      }
    });
  });

  describe('Redis down', () => {
    let t: TestApp;
    const lines: string[] = [];
    beforeAll(async () => {
      const deadPort = await freePort();
      t = await startTestApp(
        'sqlite',
        { RATE_LIMIT_PER_MINUTE: '2', RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '2', REDIS_URL: `redis://127.0.0.1:${deadPort}`, RATE_LIMIT_REDIS_PREFIX: PREFIX, LOG_LEVEL: 'log' },
        { logDestination: { write: (line: string) => void lines.push(line) } },
      );
    });
    afterAll(() => t?.close());

    it('fails open: requests pass, the failure is counted and logged once', async () => {
      const user = await registerUser(t.app);
      for (let i = 0; i < 5; i++) expect((await get(t.app, user.apiKey, '/saldo')).statusCode).toBe(200);
      expect(metricValue(await scrape(t.app), 'ppob_rate_limit_store_errors_total')).toBeGreaterThanOrEqual(5);
      expect(lines.filter((l) => l.includes('rate-limit store unavailable'))).toHaveLength(1);
    });

    it('fails open for failed key lookups too: no block, the block channel logged once and counted', async () => {
      const ok = (await registerUser(t.app)).apiKey;
      const from = (key: string) => t.app.inject({ method: 'GET', url: '/saldo', remoteAddress: '203.0.113.95', headers: { 'x-api-key': key } });
      for (let i = 0; i < 5; i++) expect((await from('a'.repeat(64))).statusCode).toBe(401);
      expect((await from(ok)).statusCode).toBe(200);
      expect(metricValue(await scrape(t.app), 'ppob_rate_limit_block_channel_errors_total')).toBeGreaterThanOrEqual(1);
      expect(lines.filter((l) => l.includes('rate-limit block channel unavailable'))).toHaveLength(1);
      expect(lines.filter((l) => l.includes('rate-limit store unavailable'))).toHaveLength(1);
    });
  });
});
