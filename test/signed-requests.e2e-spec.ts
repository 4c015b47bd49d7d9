import { beli, get, registerUser, startInstanceOn, TestUser } from './support/factories';
import { signedHeaders, signedInject } from './support/signed-request';
import { describeEachEngine, TestApp } from './support/test-app';
import { RequestNonceRepository } from '../src/users/request-nonce.repository';

jest.setTimeout(60_000);

describeEachEngine('signed requests', (t: TestApp, engine) => {
  let user: TestUser;
  let userId: number;
  beforeAll(async () => {
    user = await registerUser(t.app);
    [{ id: userId }] = await t.dataSource.query('SELECT id FROM users WHERE email = ?', [user.email]);
  });

  it('accepts a correctly signed GET and POST (body hash of the raw body)', async () => {
    const saldo = await signedInject(t.app, user, 'GET', '/riwayat?limit=5');
    expect(saldo.statusCode).toBe(200);
    const res = await signedInject(t.app, user, 'POST', '/beli', { produk_id: 1, nomor_tujuan: '087800000001' });
    expect(res.statusCode).toBe(200);
    expect(res.json().status).toBe('pending');
  });

  it('stores the private key encrypted, not in the clear', async () => {
    const rows: Array<{ private_key_enc: string }> = await t.dataSource.query('SELECT private_key_enc FROM users');
    for (const row of rows) {
      expect(row.private_key_enc).toMatch(/^v1\./);
      expect(row.private_key_enc).not.toContain(user.privateKey);
    }
  });

  it.each([
    ['a timestamp 301 s in the past', { skewS: -301 }, 'SIGNATURE_TIMESTAMP'],
    ['a timestamp 310 s ahead', { skewS: 310 }, 'SIGNATURE_TIMESTAMP'],
    ['a nonce shorter than 8', { nonce: 'short' }, 'SIGNATURE_MALFORMED'],
    ['a nonce longer than 64', { nonce: 'n'.repeat(65) }, 'SIGNATURE_MALFORMED'],
  ])('refuses %s with 401 %s', async (_what, { skewS, nonce }: { skewS?: number; nonce?: string }, code) => {
    const timestamp = skewS === undefined ? undefined : Math.floor(Date.now() / 1000) + skewS;
    const res = await signedInject(t.app, user, 'GET', '/saldo', undefined, { timestamp, nonce });
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe(code);
  });

  it('refuses a wrong signature, a changed body, a changed query and a wrong method with SIGNATURE_INVALID', async () => {
    const body = JSON.stringify({ produk_id: 1, nomor_tujuan: '087800000001' });
    const cases = [
      { method: 'GET' as const, url: '/saldo', headers: signedHeaders('f'.repeat(64), 'GET', '/saldo'), payload: undefined },
      { method: 'POST' as const, url: '/beli', headers: signedHeaders(user.privateKey, 'POST', '/beli', body), payload: body.replace('0001', '0002') },
      { method: 'GET' as const, url: '/riwayat?limit=2', headers: signedHeaders(user.privateKey, 'GET', '/riwayat?limit=1'), payload: undefined },
      { method: 'GET' as const, url: '/saldo', headers: signedHeaders(user.privateKey, 'POST', '/saldo'), payload: undefined },
    ];
    const [{ n: before }] = await t.dataSource.query('SELECT COUNT(*) AS n FROM transaksi');
    for (const c of cases) {
      const res = await t.app.inject({ method: c.method, url: c.url, payload: c.payload, headers: { 'x-api-key': user.apiKey, 'content-type': 'application/json', ...c.headers } });
      expect(res.statusCode).toBe(401);
      expect(res.json().code).toBe('SIGNATURE_INVALID');
      // The error never echoes the signature.
      expect(res.body).not.toContain(c.headers['x-signature'].slice(3));
    }
    const [{ n: after }] = await t.dataSource.query('SELECT COUNT(*) AS n FROM transaksi');
    expect(Number(after)).toBe(Number(before));
  });

  it('refuses a request with only some of the three headers', async () => {
    const headers = signedHeaders(user.privateKey, 'GET', '/saldo');
    const res = await t.app.inject({ method: 'GET', url: '/saldo', headers: { 'x-api-key': user.apiKey, 'x-signature': headers['x-signature'] } });
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('SIGNATURE_MALFORMED');
  });

  it('accepts a nonce once; a replay is 401 SIGNATURE_NONCE_REUSED', async () => {
    const nonce = `replay-${Date.now()}`;
    const headers = signedHeaders(user.privateKey, 'GET', '/saldo', '', { nonce });
    const first = await t.app.inject({ method: 'GET', url: '/saldo', headers: { 'x-api-key': user.apiKey, ...headers } });
    const again = await t.app.inject({ method: 'GET', url: '/saldo', headers: { 'x-api-key': user.apiKey, ...headers } });
    expect(first.statusCode).toBe(200);
    expect(again.statusCode).toBe(401);
    expect(again.json().code).toBe('SIGNATURE_NONCE_REUSED');
  });

  it('nonces differing only in letter case are different nonces (both accepted, on every engine)', async () => {
    const nonce = `CaseNonce${Date.now()}`;
    for (const n of [nonce, nonce.toLowerCase()]) {
      const res = await signedInject(t.app, user, 'GET', '/saldo', undefined, { nonce: n });
      expect(`${res.statusCode} ${res.json().code ?? ''}`).toBe('200 ');
    }
  });

  it('a burst sharing nonce statements: a replay among them is refused alone, a nonce sent twice in the burst is accepted once', async () => {
    const stamp = Date.now();
    const replayed = `burst-old-${stamp}`;
    expect((await signedInject(t.app, user, 'GET', '/saldo', undefined, { nonce: replayed })).statusCode).toBe(200);
    const nonces = [...Array.from({ length: 30 }, (_, i) => `burst-${stamp}-${i}`), replayed, `burst-${stamp}-twin`, `burst-${stamp}-twin`];
    // All at once: they queue behind the first statements and share multi-row INSERTs.
    const results = await Promise.all(nonces.map((nonce) => signedInject(t.app, user, 'GET', '/saldo', undefined, { nonce })));
    const outcome = results.map((r) => `${r.statusCode} ${r.json().code ?? ''}`);
    expect(outcome.slice(0, 30)).toEqual(Array(30).fill('200 '));
    expect(outcome[30]).toBe('401 SIGNATURE_NONCE_REUSED');
    expect(outcome.slice(31).sort()).toEqual(['200 ', '401 SIGNATURE_NONCE_REUSED']);
    const [{ n }] = await t.dataSource.query('SELECT COUNT(*) AS n FROM request_nonce WHERE user_id = ? AND nonce LIKE ?', [userId, `burst-${stamp}-%`]);
    expect(Number(n)).toBe(31);
  });

  it('claims queued together are each decided on their own: of two copies of a nonce exactly one is fresh', async () => {
    const nonces = t.app.get(RequestNonceRepository);
    const stamp = Date.now();
    const keys = Array.from({ length: 60 }, (_, i) => `queued-${stamp}-${i % 20}`);
    const fresh = await Promise.all(keys.map((nonce) => nonces.claim(userId, nonce)));
    for (let i = 0; i < 20; i++) expect([fresh[i], fresh[i + 20], fresh[i + 40]].filter(Boolean)).toHaveLength(1);
    expect(await nonces.claim(userId, keys[0])).toBe(false);
    const [{ n }] = await t.dataSource.query('SELECT COUNT(*) AS n FROM request_nonce WHERE user_id = ? AND nonce LIKE ?', [userId, `queued-${stamp}-%`]);
    expect(Number(n)).toBe(20);
  });

  // Two app instances inside one Jest process cannot share a SQLite file (better-sqlite3 blocks the
  // thread while the other connection holds the lock); on SQLite the primary key decides the same way.
  (engine === 'mysql' ? it : it.skip)('lets exactly one of two instances accept the same signed request sent to both at once', async () => {
    const other = await startInstanceOn(t.db);
    try {
      const headers = { 'x-api-key': user.apiKey, ...signedHeaders(user.privateKey, 'GET', '/saldo', '', { nonce: `race-${Date.now()}` }) };
      const results = await Promise.all([t.app, other.app, t.app, other.app].map((app) => app.inject({ method: 'GET', url: '/saldo', headers })));
      expect(results.map((r) => `${r.statusCode} ${r.json().code ?? ''}`).sort()).toEqual(['200 ', ...Array(3).fill('401 SIGNATURE_NONCE_REUSED')]);
    } finally {
      await other.close();
    }
  });

  // InnoDB's documented duplicate-key deadlock: a row written and rolled back (here a test
  // transaction; in production a batch INSERT undone by a duplicate further on) while two
  // instances wait to write the same nonce. Both get the shared lock, both want the exclusive
  // one, one is the deadlock's victim: it is a replay, so 401, and never a 500.
  (engine === 'mysql' ? it : it.skip)('a lone claim chosen as a deadlock victim is tried again: 200 for one copy, 401 for the other, never 500', async () => {
    const other = await startInstanceOn(t.db);
    const holder = t.dataSource.createQueryRunner();
    try {
      const nonce = `deadlock-${Date.now()}`;
      await holder.connect();
      await holder.startTransaction();
      await holder.query('INSERT INTO request_nonce (user_id, nonce, expires_at) VALUES (?, ?, ?)', [userId, nonce, '2100-01-01 00:00:00.000']);
      const headers = { 'x-api-key': user.apiKey, ...signedHeaders(user.privateKey, 'GET', '/saldo', '', { nonce }) };
      const sent = Promise.all([t.app, other.app].map((app) => app.inject({ method: 'GET', url: '/saldo', headers })));
      // Both claims are waiting on the uncommitted row before it goes away.
      await new Promise((resolve) => setTimeout(resolve, 500));
      await holder.rollbackTransaction();
      const results = await sent;
      expect(results.map((r) => `${r.statusCode} ${r.json().code ?? ''}`).sort()).toEqual(['200 ', '401 SIGNATURE_NONCE_REUSED']);
    } finally {
      if (holder.isTransactionActive) await holder.rollbackTransaction();
      await holder.release();
      await other.close();
    }
  });

  it('purges nonces whose window has passed', async () => {
    await t.dataSource.query("INSERT INTO request_nonce (user_id, nonce, expires_at) VALUES (1, 'old-nonce-1', '2000-01-01 00:00:00.000')");
    expect(await t.app.get(RequestNonceRepository).purge()).toBeGreaterThanOrEqual(1);
    const [{ n }] = await t.dataSource.query("SELECT COUNT(*) AS n FROM request_nonce WHERE nonce = 'old-nonce-1'");
    expect(Number(n)).toBe(0);
  });

  it('with wajib_signature an unsigned request is 401 SIGNATURE_REQUIRED, a signed one passes', async () => {
    const strict = await registerUser(t.app);
    const put = await t.app.inject({ method: 'PUT', url: '/keamanan', headers: { 'x-api-key': strict.apiKey }, payload: { wajib_signature: true } });
    expect(put.statusCode).toBe(200);
    expect(put.json()).toEqual({ wajib_signature: true, ip_allowlist: [], private_key_can_sign: true });
    const unsigned = await get(t.app, strict.apiKey, '/saldo');
    expect(unsigned.statusCode).toBe(401);
    expect(unsigned.json().code).toBe('SIGNATURE_REQUIRED');
    expect((await beli(t.app, strict.apiKey)).statusCode).toBe(401);
    expect((await signedInject(t.app, strict, 'GET', '/saldo')).statusCode).toBe(200);
  });

  it('ip_allowlist: other addresses get 403, listed ones and CIDR members pass; a list that locks the caller out is 400', async () => {
    const u = await registerUser(t.app);
    const lockOut = await t.app.inject({ method: 'PUT', url: '/keamanan', headers: { 'x-api-key': u.apiKey }, payload: { ip_allowlist: ['203.0.113.7'] } });
    expect(lockOut.statusCode).toBe(400);
    const put = await t.app.inject({
      method: 'PUT',
      url: '/keamanan',
      remoteAddress: '198.51.100.9',
      headers: { 'x-api-key': u.apiKey },
      payload: { ip_allowlist: ['203.0.113.7', '198.51.100.0/24'] },
    });
    expect(put.statusCode).toBe(200);
    const from = (remoteAddress: string) => t.app.inject({ method: 'GET', url: '/saldo', remoteAddress, headers: { 'x-api-key': u.apiKey } });
    expect((await from('198.51.100.200')).statusCode).toBe(200);
    expect((await from('203.0.113.7')).statusCode).toBe(200);
    const outside = await from('127.0.0.1');
    expect(outside.statusCode).toBe(403);
    expect(outside.json().code).toBe('IP_NOT_ALLOWED');
    // Without TRUST_PROXY a client cannot claim another address with X-Forwarded-For.
    const spoofed = await t.app.inject({ method: 'GET', url: '/saldo', headers: { 'x-api-key': u.apiKey, 'x-forwarded-for': '203.0.113.7' } });
    expect(spoofed.statusCode).toBe(403);
  });

  it.each([
    [{ wajib_signature: 'yes' }],
    [{ ip_allowlist: '203.0.113.7' }],
    [{ ip_allowlist: ['203.0.113.300'] }],
    [{ ip_allowlist: ['198.51.100.0/33'] }],
    [{ ip_allowlist: Array.from({ length: 51 }, (_, i) => `203.0.113.${i}`) }],
  ])('PUT /keamanan refuses %j with 400 and changes nothing', async (payload) => {
    const u = await registerUser(t.app);
    const res = await t.app.inject({ method: 'PUT', url: '/keamanan', headers: { 'x-api-key': u.apiKey }, payload });
    expect(res.statusCode).toBe(400);
    expect((await get(t.app, u.apiKey, '/keamanan')).json()).toEqual({ wajib_signature: false, ip_allowlist: [], private_key_can_sign: true });
  });

  it('PUT /keamanan refuses IPv6 zone ids (any length passes isIP) with 400, never a 500 on a list too long to store', async () => {
    const u = await registerUser(t.app);
    const zoned = Array.from({ length: 49 }, (_, i) => `fe80::${i + 1}%${'a'.repeat(100)}`);
    for (const ip_allowlist of [['127.0.0.1', 'fe80::1%eth0'], ['127.0.0.1', ...zoned]]) {
      const res = await t.app.inject({ method: 'PUT', url: '/keamanan', headers: { 'x-api-key': u.apiKey }, payload: { ip_allowlist } });
      expect(res.statusCode).toBe(400);
      expect(res.json().code).toBe('VALIDATION_FAILED');
    }
    expect((await get(t.app, u.apiKey, '/keamanan')).json().ip_allowlist).toEqual([]);
  });

  it('after /generate-key the old private key no longer signs, here and on an instance that had it opened', async () => {
    const u = await registerUser(t.app);
    const other = engine === 'mysql' ? await startInstanceOn(t.db) : null;
    try {
      // Both instances have opened (and keep) the old key.
      for (const app of [t.app, other?.app]) if (app) expect((await signedInject(app, u, 'GET', '/saldo')).statusCode).toBe(200);
      const keys = (await t.app.inject({ method: 'POST', url: '/generate-key', headers: { 'x-api-key': u.apiKey } })).json();
      for (const app of [t.app, other?.app]) {
        if (!app) continue;
        const old = await signedInject(app, { apiKey: keys.api_key, privateKey: u.privateKey }, 'GET', '/saldo');
        expect(`${old.statusCode} ${old.json().code}`).toBe('401 SIGNATURE_INVALID');
        expect((await signedInject(app, { apiKey: keys.api_key, privateKey: keys.private_key }, 'GET', '/saldo')).statusCode).toBe(200);
      }
    } finally {
      await other?.close();
    }
  });

  it('a user from before signed requests keeps x-api-key, cannot sign, and can after /generate-key', async () => {
    const legacy = await registerUser(t.app);
    await t.dataSource.query('UPDATE users SET private_key_enc = NULL WHERE email = ?', [legacy.email]);
    expect((await get(t.app, legacy.apiKey, '/saldo')).statusCode).toBe(200);
    const signed = await signedInject(t.app, legacy, 'GET', '/saldo');
    expect(signed.statusCode).toBe(401);
    expect(signed.json().code).toBe('SIGNATURE_KEY_UNAVAILABLE');
    const strict = await t.app.inject({ method: 'PUT', url: '/keamanan', headers: { 'x-api-key': legacy.apiKey }, payload: { wajib_signature: true } });
    expect(strict.statusCode).toBe(400);
    const keys = (await t.app.inject({ method: 'POST', url: '/generate-key', headers: { 'x-api-key': legacy.apiKey } })).json();
    expect((await signedInject(t.app, { apiKey: keys.api_key, privateKey: keys.private_key }, 'GET', '/saldo')).statusCode).toBe(200);
  });
});

describeEachEngine('TRUST_PROXY', (t: TestApp) => {
  it('takes the client address from X-Forwarded-For when the socket is a trusted proxy', async () => {
    const u = await registerUser(t.app);
    const put = await t.app.inject({
      method: 'PUT',
      url: '/keamanan',
      headers: { 'x-api-key': u.apiKey, 'x-forwarded-for': '198.51.100.9' },
      payload: { ip_allowlist: ['198.51.100.9'] },
    });
    expect(put.statusCode).toBe(200);
    const via = (xff: string, remoteAddress = '127.0.0.1') =>
      t.app.inject({ method: 'GET', url: '/saldo', remoteAddress, headers: { 'x-api-key': u.apiKey, 'x-forwarded-for': xff } });
    expect((await via('198.51.100.9')).statusCode).toBe(200);
    expect((await via('203.0.113.1')).statusCode).toBe(403);
    // From a socket that is not a trusted proxy, the header is not believed.
    expect((await via('198.51.100.9', '192.0.2.1')).statusCode).toBe(403);
  });
}, { TRUST_PROXY: '127.0.0.1' });
