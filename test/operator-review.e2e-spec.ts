import { registerUser, saldoOf } from './support/factories';
import { admin, adminEnv, reseller } from './support/admin';
import { describeEachEngine } from './support/test-app';

/**
 * Adversarial review of the operator side (issue 10): input the operator routes must refuse
 * instead of quietly doing something else with it.
 */
describeEachEngine(
  'operator review: input that must be refused',
  (t) => {
    it('refuses a body on a deposit confirmation or rejection (it would not be the amount credited) and credits nothing', async () => {
      const user = await registerUser(t.app, { saldo: 0 });
      const ticket = (await reseller(t.app, user.apiKey, 'POST', '/deposit', { jumlah: 100_000, bank: 'BCA' })).json();
      // An operator who saw 95 000 arrive and "confirms 95 000" must not get jumlah_transfer credited.
      const konfirmasi = await admin(t.app, 'POST', `/admin/deposit/${ticket.id}/konfirmasi`, { jumlah: 95_000 });
      expect({ status: konfirmasi.statusCode, code: konfirmasi.json().code }).toEqual({ status: 400, code: 'VALIDATION_FAILED' });
      expect(konfirmasi.json().errors).toEqual([expect.objectContaining({ field: 'jumlah' })]);
      const tolak = await admin(t.app, 'POST', `/admin/deposit/${ticket.id}/tolak`, { alasan: 'salah transfer' });
      expect({ status: tolak.statusCode, code: tolak.json().code }).toEqual({ status: 400, code: 'VALIDATION_FAILED' });
      expect(await saldoOf(t.app, user.apiKey)).toBe(0);
      const [row] = await t.dataSource.query('SELECT status FROM deposit WHERE id = ?', [ticket.id]);
      expect(row.status).toBe('pending');
      const [audit] = await t.dataSource.query('SELECT COUNT(*) AS n FROM admin_audit');
      expect(Number(audit.n)).toBe(0);
      // Without a body (or with an empty one) it works as before.
      expect((await admin(t.app, 'POST', `/admin/deposit/${ticket.id}/konfirmasi`, {})).statusCode).toBe(200);
      expect(await saldoOf(t.app, user.apiKey)).toBe(ticket.jumlah_transfer);
    });

    it('refuses a from/to time without a zone, which would be read in the server process time zone', async () => {
      for (const q of ['from=2026-11-30T00:00:00', 'to=2026-11-30T07:00', 'from=2026-11-30T00:00:00.000']) {
        const res = await admin(t.app, 'GET', `/admin/transaksi?${q}`);
        expect({ q, status: res.statusCode, code: res.json().code }).toEqual({ q, status: 400, code: 'VALIDATION_FAILED' });
      }
      for (const q of ['from=2026-11-30T00:00:00Z', 'from=2026-11-30T00:00:00%2B07:00', 'to=2026-11-30', 'from=2026-11-30T00:00:00.000-05:30']) {
        expect({ q, status: (await admin(t.app, 'GET', `/admin/transaksi?${q}`)).statusCode }).toEqual({ q, status: 200 });
      }
    });

    it('treats product codes that differ only in case as the same code on both engines', async () => {
      // MariaDB's collation already refused PULSA20 vs pulsa20; SQLite took both, so two products
      // shared one code there.
      const created = await admin(t.app, 'POST', '/admin/produk', { nama: 'Pulsa 20k kecil', kode: 'pulsa20', harga: 22_000, nominal: 20_000 });
      expect({ status: created.statusCode, code: created.json().code }).toEqual({ status: 409, code: 'PRODUK_KODE_TAKEN' });
      const renamed = await admin(t.app, 'PATCH', '/admin/produk/1', { kode: 'Pulsa20' });
      expect({ status: renamed.statusCode, code: renamed.json().code }).toEqual({ status: 409, code: 'PRODUK_KODE_TAKEN' });
      const [row] = await t.dataSource.query("SELECT COUNT(*) AS n FROM produk WHERE LOWER(kode) = 'pulsa20'");
      expect(Number(row.n)).toBe(1);
    });
  },
  adminEnv({ PROCESSOR_ENABLED: 'false' }),
);
