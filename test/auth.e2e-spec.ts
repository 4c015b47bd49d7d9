import { createHash, randomBytes } from 'node:crypto';
import type { InjectOptions } from 'light-my-request';
import { get, registerUser, saldoOf } from './support/factories';
import { describeEachEngine } from './support/test-app';

const HEX64 = /^[0-9a-f]{64}$/;

/** Every route behind the x-api-key guard, with a request that would succeed given a valid key. */
const PROTECTED: Array<{ name: string; request: InjectOptions }> = [
  { name: 'GET /produk', request: { method: 'GET', url: '/produk' } },
  { name: 'POST /beli', request: { method: 'POST', url: '/beli', payload: { produk_id: 1, nomor_tujuan: '087800000001' } } },
  { name: 'GET /status/1', request: { method: 'GET', url: '/status/1' } },
  { name: 'GET /riwayat', request: { method: 'GET', url: '/riwayat' } },
  { name: 'GET /saldo', request: { method: 'GET', url: '/saldo' } },
  { name: 'GET /mutasi', request: { method: 'GET', url: '/mutasi' } },
  { name: 'POST /generate-key', request: { method: 'POST', url: '/generate-key' } },
];

const BAD_KEYS: Array<[string, string]> = [
  ['an empty key', ''],
  ['a short key', 'abc123'],
  ['63 hex characters', 'a'.repeat(63)],
  ['65 hex characters', 'a'.repeat(65)],
  ['64 non-hex characters', 'g'.repeat(64)],
  ['a key with spaces around it', ` ${'a'.repeat(64)} `],
  ['a SQL-looking key', "' OR '1'='1"],
];

function sha256(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

describeEachEngine('x-api-key authentication', (t) => {
  function send(request: InjectOptions, apiKey?: string) {
    const headers = { ...(request.headers ?? {}), ...(apiKey === undefined ? {} : { 'x-api-key': apiKey }) };
    return t.app.inject({ ...request, headers });
  }

  function expectUnauthorized(res: { statusCode: number; json(): unknown }) {
    expect(res.statusCode).toBe(401);
    const body = res.json() as Record<string, unknown>;
    expect(body).toEqual({ statusCode: 401, code: 'UNAUTHORIZED', detail: expect.any(String) });
    expect((body.detail as string).length).toBeGreaterThan(0);
  }

  describe.each(PROTECTED)('$name', ({ request }) => {
    it('answers 401 UNAUTHORIZED without an x-api-key header', async () => {
      expectUnauthorized(await send(request));
    });

    it.each(BAD_KEYS)('answers 401 UNAUTHORIZED for %s', async (_what, key) => {
      expectUnauthorized(await send(request, key));
    });

    it('answers 401 UNAUTHORIZED for a well-formed key that belongs to nobody', async () => {
      expectUnauthorized(await send(request, randomBytes(32).toString('hex')));
    });
  });

  it('does not let a request without a valid key buy anything', async () => {
    const [before] = await t.dataSource.query('SELECT COUNT(*) AS n FROM transaksi');
    await send({ method: 'POST', url: '/beli', payload: { produk_id: 1, nomor_tujuan: '087800000001' } });
    await send({ method: 'POST', url: '/beli', payload: { produk_id: 1, nomor_tujuan: '087800000001' } }, randomBytes(32).toString('hex'));
    const [after] = await t.dataSource.query('SELECT COUNT(*) AS n FROM transaksi');
    expect(Number(after.n)).toBe(Number(before.n));
  });

  it('serves /register and /health without a key', async () => {
    const reg = await t.app.inject({ method: 'POST', url: '/register', payload: { nama: 'Tanpa Kunci', email: 'nokey@example.com' } });
    expect(reg.statusCode).toBe(200);
    const health = await t.app.inject({ method: 'GET', url: '/health' });
    expect(health.statusCode).toBe(200);
  });

  it('accepts the key returned by /register on every protected route', async () => {
    const user = await registerUser(t.app, { saldo: 100_000 });
    for (const { name, request } of PROTECTED) {
      if (name === 'POST /generate-key' || name === 'GET /status/1') continue;
      const res = await send(request, user.apiKey);
      expect({ name, status: res.statusCode }).toEqual({ name, status: 200 });
    }
  });

  it('rotates both keys with POST /generate-key: the old api key stops working at once and the new one works', async () => {
    const user = await registerUser(t.app, { saldo: 70_000 });
    const res = await send({ method: 'POST', url: '/generate-key' }, user.apiKey);
    expect(res.statusCode).toBe(200);
    const keys = res.json();
    expect(keys).toEqual({ api_key: expect.stringMatching(HEX64), private_key: expect.stringMatching(HEX64), info: expect.any(String) });
    expect(keys.api_key).not.toBe(user.apiKey);
    expect(keys.private_key).not.toBe(user.privateKey);
    expect(keys.api_key).not.toBe(keys.private_key);

    expectUnauthorized(await get(t.app, user.apiKey, '/saldo'));
    expectUnauthorized(await send({ method: 'POST', url: '/generate-key' }, user.apiKey));
    // Same account, same money, reached through the new key.
    expect(await saldoOf(t.app, keys.api_key)).toBe(70_000);

    const [row] = await t.dataSource.query('SELECT api_key_hash, private_key_hash FROM users WHERE email = ?', [user.email]);
    expect(row.api_key_hash).toBe(sha256(keys.api_key));
    expect(row.private_key_hash).toBe(sha256(keys.private_key));
  });

  it('never answers 200 with a dead key when the same key is rotated concurrently', async () => {
    const user = await registerUser(t.app, { saldo: 30_000 });
    const results = await Promise.all(
      Array.from({ length: 5 }, () => send({ method: 'POST', url: '/generate-key' }, user.apiKey)),
    );
    const handedOut = results.filter((r) => r.statusCode === 200).map((r) => r.json().api_key as string);
    for (const r of results.filter((res) => res.statusCode !== 200)) expectUnauthorized(r);
    expect(handedOut.length).toBeGreaterThanOrEqual(1);
    // The account has one api key; every key the server handed out as the new one must be it.
    const working: string[] = [];
    for (const key of handedOut) if ((await get(t.app, key, '/saldo')).statusCode === 200) working.push(key);
    expect(working).toEqual(handedOut);
    expectUnauthorized(await get(t.app, user.apiKey, '/saldo'));
  });

  it("does not touch another user's key when one user rotates theirs", async () => {
    const alice = await registerUser(t.app, { saldo: 10_000 });
    const bob = await registerUser(t.app, { saldo: 20_000 });
    const res = await send({ method: 'POST', url: '/generate-key' }, alice.apiKey);
    expect(res.statusCode).toBe(200);

    expect(await saldoOf(t.app, bob.apiKey)).toBe(20_000);
    expect(await saldoOf(t.app, res.json().api_key)).toBe(10_000);
    expectUnauthorized(await get(t.app, alice.apiKey, '/saldo'));
    const [bobRow] = await t.dataSource.query('SELECT api_key_hash FROM users WHERE email = ?', [bob.email]);
    expect(bobRow.api_key_hash).toBe(sha256(bob.apiKey));
  });

  it('stores only the sha256 of the keys, never the keys themselves', async () => {
    const user = await registerUser(t.app, { saldo: 5_000 });
    const rotated = (await send({ method: 'POST', url: '/generate-key' }, user.apiKey)).json();
    const secrets = [user.apiKey, user.privateKey, rotated.api_key, rotated.private_key];
    for (const secret of secrets) expect(secret).toMatch(HEX64);

    const [row] = await t.dataSource.query('SELECT * FROM users WHERE email = ?', [user.email]);
    expect(row.api_key_hash).toBe(sha256(rotated.api_key));
    expect(row.private_key_hash).toBe(sha256(rotated.private_key));

    // No column of any table holds a raw key, in either case.
    for (const table of ['users', 'mutasi', 'transaksi', 'produk', 'ppob_sim_eksekusi']) {
      const rows: Array<Record<string, unknown>> = await t.dataSource.query(`SELECT * FROM ${table}`);
      const dump = JSON.stringify(rows).toLowerCase();
      for (const secret of secrets) expect({ table, found: dump.includes(secret.toLowerCase()) }).toEqual({ table, found: false });
    }
  });
});
