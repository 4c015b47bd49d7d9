import { setTimeout as sleep } from 'node:timers/promises';
import { createConnection } from 'mysql2/promise';
import { TransactionRunner } from '../src/database/transaction-runner';
import { beli, get, register, registerUser, saldoOf } from './support/factories';
import { TestApp, useTestApp } from './support/test-app';
import { describeFor, ENGINES } from './support/test-db';

/**
 * A request answered 503 by the deadline (REQUEST_TIMEOUT_MS) must have committed nothing
 * (issue 8, defect 4). The writes are held up from outside: on MySQL another connection locks
 * every users row (and, under REPEATABLE READ, the gap where a new one would go); on SQLite a
 * transaction holds the app's one connection.
 */
const DEADLINE_MS = 1_000;
const HOLD_MS = 2_500;

async function holdUserWrites(t: TestApp): Promise<() => Promise<void>> {
  if (t.db.engine === 'mysql') {
    const connection = await createConnection({ uri: t.db.url });
    await connection.query('START TRANSACTION');
    await connection.query('SELECT id FROM users FOR UPDATE');
    return async () => {
      await connection.query('ROLLBACK');
      await connection.end();
    };
  }
  let release: (() => void) | undefined;
  const held = t.app.get(TransactionRunner).run(() => new Promise<void>((resolve) => (release = resolve)));
  while (!release) await sleep(5);
  return async () => {
    release!();
    await held;
  };
}

/** Holds the writes, sends the request, lets the writes go after HOLD_MS, and waits for any late work. */
async function answeredWhileHeld<T>(t: TestApp, request: () => Promise<T>): Promise<T> {
  const release = await holdUserWrites(t);
  const released = sleep(HOLD_MS).then(release);
  const res = await request();
  await released;
  await sleep(500);
  return res;
}

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
