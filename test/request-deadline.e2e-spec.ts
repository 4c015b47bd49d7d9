import { beli, get, register, registerUser, saldoOf } from './support/factories';
import { answeredWhileHeld } from './support/hold-writes';
import { useTestApp } from './support/test-app';
import { describeFor, ENGINES } from './support/test-db';

/**
 * A request answered 503 by the deadline (REQUEST_TIMEOUT_MS) must have committed nothing
 * (issue 8, defect 4). The writes are held up from outside (support/hold-writes.ts).
 */
const DEADLINE_MS = 1_000;

describe.each(ENGINES)('request deadline on %s', (engine) => {
  describeFor(engine)(engine, () => {
    const t = useTestApp(engine, { ALLOW_REGISTER_SALDO: 'true', PROCESSOR_ENABLED: 'false', REQUEST_TIMEOUT_MS: String(DEADLINE_MS) });

    it('a /generate-key answered 503 has not rotated the key: the old one still works', async () => {
      const user = await registerUser(t.app, { saldo: 10_000 });
      const res = await answeredWhileHeld(t, () => t.app.inject({ method: 'POST', url: '/generate-key', headers: { 'x-api-key': user.apiKey } }));
      expect(res.statusCode).toBe(503);
      expect(res.json()).toMatchObject({ code: 'REQUEST_TIMEOUT', detail: expect.stringMatching(/\S/) });
      expect((await get(t.app, user.apiKey, '/saldo')).statusCode).toBe(200);
    });

    it('a /register answered 503 has created no account, so repeating it succeeds', async () => {
      const body = { nama: 'Lambat', email: 'slow-register@example.com' };
      const res = await answeredWhileHeld(t, () => register(t.app, body));
      expect(res.statusCode).toBe(503);
      const [row] = await t.dataSource.query('SELECT COUNT(*) AS n FROM users WHERE email = ?', [body.email]);
      expect(Number(row.n)).toBe(0);
      expect((await register(t.app, body)).statusCode).toBe(200);
    });

    it('a /beli without ref_id answered 503 has charged nothing and created no purchase', async () => {
      const user = await registerUser(t.app, { saldo: 100_000 });
      const [before] = await t.dataSource.query('SELECT COUNT(*) AS n FROM transaksi');
      const res = await answeredWhileHeld(t, () => beli(t.app, user.apiKey, { produk_id: 1, nomor_tujuan: '087800000001' }));
      expect(res.statusCode).toBe(503);
      const [after] = await t.dataSource.query('SELECT COUNT(*) AS n FROM transaksi');
      expect(Number(after.n)).toBe(Number(before.n));
      expect(await saldoOf(t.app, user.apiKey)).toBe(100_000);
    });
  });
});
