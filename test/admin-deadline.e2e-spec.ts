import { registerUser, saldoOf } from './support/factories';
import { admin, adminEnv, reseller, userIdOf } from './support/admin';
import { answeredWhileHeld } from './support/hold-writes';
import { describeEachEngine } from './support/test-app';

/**
 * The request deadline's promise on the operator's money routes: a 503 REQUEST_TIMEOUT has
 * committed nothing, so the operator may simply press the button again (support/hold-writes.ts
 * holds the writes past the deadline).
 */
describeEachEngine(
  'operator writes answered 503 by the request deadline',
  (t) => {
    it('a deposit confirmation answered 503 has credited nothing; confirming again credits once', async () => {
      const user = await registerUser(t.app, { saldo: 0 });
      const ticket = (await reseller(t.app, user.apiKey, 'POST', '/deposit', { jumlah: 50_000, bank: 'BCA' })).json();
      const res = await answeredWhileHeld(t, () => admin(t.app, 'POST', `/admin/deposit/${ticket.id}/konfirmasi`));
      expect(res.statusCode).toBe(503);
      expect(res.json().code).toBe('REQUEST_TIMEOUT');
      expect(await saldoOf(t.app, user.apiKey)).toBe(0);
      expect((await admin(t.app, 'GET', '/admin/deposit?status=pending')).json().map((d: { id: number }) => d.id)).toContain(ticket.id);
      expect((await admin(t.app, 'POST', `/admin/deposit/${ticket.id}/konfirmasi`)).statusCode).toBe(200);
      expect(await saldoOf(t.app, user.apiKey)).toBe(ticket.jumlah_transfer);
    });

    it('an adjustment answered 503 has moved nothing; the same ref again applies it once', async () => {
      const user = await registerUser(t.app, { saldo: 10_000 });
      const id = await userIdOf(t.app, user.email);
      const body = { jumlah: -4_000, keterangan: 'lambat', ref: 'SLOW-1' };
      const res = await answeredWhileHeld(t, () => admin(t.app, 'POST', `/admin/users/${id}/saldo`, body));
      expect(res.statusCode).toBe(503);
      expect(await saldoOf(t.app, user.apiKey)).toBe(10_000);
      expect((await admin(t.app, 'POST', `/admin/users/${id}/saldo`, body)).json()).toMatchObject({ diulang: false, saldo_akhir: 6_000 });
    });

    it('a manual gagal answered 503 has refunded nothing and the purchase still waits for the operator', async () => {
      const user = await registerUser(t.app, { saldo: 12_000 });
      const trx = (await reseller(t.app, user.apiKey, 'POST', '/beli', { produk_id: 1, nomor_tujuan: '087800000003' })).json();
      await t.dataSource.query("UPDATE transaksi SET status = 'proses', perlu_operator = 1, locked_by = NULL, locked_until = NULL WHERE id = ?", [trx.id]);
      const res = await answeredWhileHeld(t, () => admin(t.app, 'POST', `/admin/transaksi/${trx.id}/selesaikan`, { status: 'gagal' }));
      expect(res.statusCode).toBe(503);
      expect(await saldoOf(t.app, user.apiKey)).toBe(0);
      expect((await admin(t.app, 'GET', '/admin/transaksi?perlu_operator=true')).json().map((r: { id: number }) => r.id)).toContain(trx.id);
    });

    it('a suspension answered 503 has not suspended', async () => {
      const user = await registerUser(t.app, { saldo: 0 });
      const id = await userIdOf(t.app, user.email);
      const res = await answeredWhileHeld(t, () => admin(t.app, 'PATCH', `/admin/users/${id}`, { aktif: false }));
      expect(res.statusCode).toBe(503);
      expect((await t.app.inject({ method: 'GET', url: '/saldo', headers: { 'x-api-key': user.apiKey } })).statusCode).toBe(200);
    });
  },
  adminEnv({ PROCESSOR_ENABLED: 'false', REQUEST_TIMEOUT_MS: '1000' }),
);
