import { createHash } from 'node:crypto';
import { beli, countRows, get, registerUser, saldoOf, startInstanceOn, waitForIdle } from './support/factories';
import { ADMIN_KEY, ADMIN_KEY_2, admin, adminEnv, reseller, userIdOf } from './support/admin';
import { describeEachEngine, TestApp, useTestApp } from './support/test-app';
import { describeFor, ENGINES } from './support/test-db';

async function auditRows(t: TestApp): Promise<number> {
  const [row] = await t.dataSource.query('SELECT COUNT(*) AS n FROM admin_audit');
  return Number(row.n);
}

describeEachEngine(
  'operator routes without ADMIN_API_KEYS',
  (t) => {
    it('answers 404 on every /admin route and on the console, exactly like an unknown route', async () => {
      const unknown = await admin(t.app, 'GET', '/admin/no-such-route');
      expect(unknown.statusCode).toBe(404);
      expect(unknown.json().detail).toBe('Route GET /admin/no-such-route tidak ada; lihat /docs');
      for (const [method, url] of [
        ['GET', '/admin/deposit'],
        ['POST', '/admin/deposit/1/konfirmasi'],
        ['GET', '/admin/laporan'],
        ['GET', '/admin/ui'],
        // A wrong method is no 405 either: that would say the route exists.
        ['DELETE', '/admin/deposit'],
      ] as const) {
        const res = await admin(t.app, method, url);
        expect({ url, status: res.statusCode, body: res.json() }).toEqual({ url, status: 404, body: { ...unknown.json(), detail: `Route ${method} ${url} tidak ada; lihat /docs` } });
      }
    });

    it('refuses deposits with a 400 that says no account is configured when DEPOSIT_BANKS is unset', async () => {
      const user = await registerUser(t.app, { saldo: 0 });
      const res = await reseller(t.app, user.apiKey, 'POST', '/deposit', { jumlah: 100_000, bank: 'BCA' });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toEqual({ statusCode: 400, code: 'DEPOSIT_BANK_UNKNOWN', detail: expect.stringContaining('DEPOSIT_BANKS') });
    });
  },
  { ALLOW_REGISTER_SALDO: 'true' },
);

describeEachEngine(
  'operator authentication and audit',
  (t) => {
    it('refuses a missing or wrong x-admin-key with 401 ADMIN_UNAUTHORIZED', async () => {
      const missing = await admin(t.app, 'GET', '/admin/laporan', undefined, null);
      expect(missing.statusCode).toBe(401);
      expect(missing.json()).toEqual({ statusCode: 401, code: 'ADMIN_UNAUTHORIZED', detail: expect.any(String) });
      expect((await admin(t.app, 'GET', '/admin/laporan', undefined, `${ADMIN_KEY}x`)).statusCode).toBe(401);
      expect((await admin(t.app, 'GET', '/admin/laporan', undefined, 'x'.repeat(10_000))).statusCode).toBe(401);
      expect((await admin(t.app, 'GET', '/admin/laporan', undefined, ADMIN_KEY_2)).statusCode).toBe(200);
    });

    it("never lets a reseller's key open /admin, nor an operator key open a reseller route", async () => {
      const user = await registerUser(t.app, { saldo: 10_000 });
      const asReseller = await t.app.inject({ method: 'GET', url: '/admin/users', headers: { 'x-api-key': user.apiKey } });
      expect(asReseller.statusCode).toBe(401);
      const keyInAdminHeader = await admin(t.app, 'GET', '/admin/users', undefined, user.apiKey);
      expect(keyInAdminHeader.statusCode).toBe(401);
      const asOperator = await t.app.inject({ method: 'GET', url: '/saldo', headers: { 'x-admin-key': ADMIN_KEY } });
      expect(asOperator.statusCode).toBe(401);
      const operatorKeyAsApiKey = await get(t.app, ADMIN_KEY, '/saldo');
      expect(operatorKeyAsApiKey.statusCode).toBe(401);
    });

    it('records every operator write with the key id, the action and the figures before and after', async () => {
      const user = await registerUser(t.app, { saldo: 0 });
      const id = await userIdOf(t.app, user.email);
      const ticket = (await reseller(t.app, user.apiKey, 'POST', '/deposit', { jumlah: 25_000, bank: 'BCA' })).json();
      expect((await admin(t.app, 'POST', `/admin/deposit/${ticket.id}/konfirmasi`, undefined, ADMIN_KEY_2)).statusCode).toBe(200);
      expect((await admin(t.app, 'POST', `/admin/users/${id}/saldo`, { jumlah: -1_000, keterangan: 'biaya', ref: 'AUD-1' })).statusCode).toBe(200);
      const audit = (await admin(t.app, 'GET', '/admin/audit?limit=2')).json();
      expect(audit).toEqual([
        expect.objectContaining({ aksi: 'saldo.koreksi', objek: `users:${id}`, sebelum: { saldo: ticket.jumlah_transfer }, sesudah: { saldo: ticket.jumlah_transfer - 1_000, jumlah: -1_000, ref: 'AUD-1' } }),
        expect.objectContaining({ aksi: 'deposit.konfirmasi', objek: `deposit:${ticket.id}`, sesudah: expect.objectContaining({ status: 'sukses', saldo: ticket.jumlah_transfer }) }),
      ]);
      // Two keys, two ids; neither is (part of) the key itself.
      expect(audit[0].admin_id).toMatch(/^[0-9a-f]{8}$/);
      expect(audit[1].admin_id).toMatch(/^[0-9a-f]{8}$/);
      expect(audit[0].admin_id).not.toBe(audit[1].admin_id);
      expect(JSON.stringify(audit)).not.toContain('test-operator-key');
    });

    it('writes no audit row for a write that was refused', async () => {
      const before = await auditRows(t);
      expect((await admin(t.app, 'POST', '/admin/deposit/999999/konfirmasi')).statusCode).toBe(404);
      expect((await admin(t.app, 'PATCH', '/admin/users/999999', { aktif: false })).statusCode).toBe(404);
      expect(await auditRows(t)).toBe(before);
    });
  },
  adminEnv(),
);

describeEachEngine(
  'operator: products',
  (t) => {
    it('creates a product that resellers can list and buy at once, and changes its price', async () => {
      const created = await admin(t.app, 'POST', '/admin/produk', { nama: 'Pulsa 25k', kode: 'PULSA25', kategori: 'pulsa', harga: 27_000, nominal: 25_000 });
      expect(created.statusCode).toBe(200);
      const produk = created.json();
      expect(produk).toEqual({ id: expect.any(Number), nama: 'Pulsa 25k', kode: 'PULSA25', kategori: 'pulsa', harga: 27_000, nominal: 25_000, deskripsi: '', aktif: true, harga_modal: null, harga_manual: false, brand: '', tersedia_supplier: true, updated_at: expect.any(String) });
      const user = await registerUser(t.app, { saldo: 100_000 });
      expect((await get(t.app, user.apiKey, '/produk')).json().map((p: { id: number }) => p.id)).toContain(produk.id);
      expect((await beli(t.app, user.apiKey, { produk_id: produk.id })).json()).toMatchObject({ harga: 27_000, saldo: 73_000 });

      const patched = await admin(t.app, 'PATCH', `/admin/produk/${produk.id}`, { harga: 26_500 });
      expect(patched.json()).toMatchObject({ id: produk.id, harga: 26_500, kode: 'PULSA25' });
      expect((await beli(t.app, user.apiKey, { produk_id: produk.id })).json()).toMatchObject({ harga: 26_500 });
      // The earlier purchase keeps the price it was charged.
      const [first] = await t.dataSource.query('SELECT harga FROM transaksi WHERE produk_id = ? ORDER BY id LIMIT 1', [produk.id]);
      expect(Number(first.harga)).toBe(27_000);
    });

    it('retires a product with aktif false: gone from /produk, refused by /beli, still listed for the operator', async () => {
      const produk = (await admin(t.app, 'POST', '/admin/produk', { nama: 'Data 1GB', kode: 'DATA1', harga: 15_000, nominal: 15_000 })).json();
      expect((await admin(t.app, 'PATCH', `/admin/produk/${produk.id}`, { aktif: false })).json().aktif).toBe(false);
      const user = await registerUser(t.app, { saldo: 100_000 });
      expect((await get(t.app, user.apiKey, '/produk')).json().map((p: { id: number }) => p.id)).not.toContain(produk.id);
      expect((await beli(t.app, user.apiKey, { produk_id: produk.id })).json().code).toBe('PRODUK_NOT_FOUND');
      expect((await admin(t.app, 'GET', '/admin/produk')).json().find((p: { id: number }) => p.id === produk.id)).toMatchObject({ aktif: false });
    });

    it('gives the seed products codes and categories', async () => {
      const list = (await admin(t.app, 'GET', '/admin/produk')).json();
      expect(list.slice(0, 3).map((p: { kode: string; kategori: string }) => [p.kode, p.kategori])).toEqual([
        ['PULSA10', 'pulsa'],
        ['PULSA20', 'pulsa'],
        ['PLN50', 'pln'],
      ]);
    });

    it('refuses bad product input with a 4xx and writes nothing', async () => {
      const before = await t.dataSource.query('SELECT * FROM produk ORDER BY id');
      const audits = await auditRows(t);
      const cases: Array<[string, string, unknown, number, string]> = [
        ['POST', '/admin/produk', { nama: 'X', kode: 'PULSA10', harga: 1, nominal: 1 }, 409, 'PRODUK_KODE_TAKEN'],
        ['POST', '/admin/produk', { nama: 'X', kode: 'NEW1', harga: '1000', nominal: 1 }, 400, 'VALIDATION_FAILED'],
        ['POST', '/admin/produk', { nama: 'X', kode: 'NEW1', harga: 1e20, nominal: 1 }, 400, 'VALIDATION_FAILED'],
        ['POST', '/admin/produk', { nama: 'X', kode: 'NEW1', harga: -5, nominal: 1 }, 400, 'VALIDATION_FAILED'],
        ['POST', '/admin/produk', { nama: 'X', kode: 'bad code!', harga: 1, nominal: 1 }, 400, 'VALIDATION_FAILED'],
        ['POST', '/admin/produk', { nama: 'X', kode: 'NEW1', harga: 1, nominal: 1, stok: 5 }, 400, 'VALIDATION_FAILED'],
        ['POST', '/admin/produk', { kode: 'NEW1', harga: 1, nominal: 1 }, 400, 'VALIDATION_FAILED'],
        ['PATCH', '/admin/produk/1', {}, 400, 'VALIDATION_FAILED'],
        ['PATCH', '/admin/produk/1', { harga: null }, 400, 'VALIDATION_FAILED'],
        ['PATCH', '/admin/produk/1', { aktif: 'false' }, 400, 'VALIDATION_FAILED'],
        ['PATCH', '/admin/produk/1', { kode: 'PULSA20' }, 409, 'PRODUK_KODE_TAKEN'],
        ['PATCH', '/admin/produk/99999', { harga: 1 }, 422, 'PRODUK_NOT_FOUND'],
        ['PATCH', '/admin/produk/0', { harga: 1 }, 400, 'VALIDATION_FAILED'],
      ];
      for (const [method, url, payload, status, code] of cases) {
        const res = await admin(t.app, method as 'POST', url, payload);
        expect({ payload, status: res.statusCode, code: res.json().code }).toEqual({ payload, status, code });
        expect(res.json().detail).toEqual(expect.any(String));
      }
      expect(await t.dataSource.query('SELECT * FROM produk ORDER BY id')).toEqual(before);
      expect(await auditRows(t)).toBe(audits);
    });
  },
  adminEnv(),
);

describeEachEngine(
  'operator: resellers and saldo adjustments',
  (t) => {
    it('finds resellers by part of the email, newest first, with their saldo', async () => {
      const a = await registerUser(t.app, { email: 'cari.satu@example.com', saldo: 5_000 });
      await registerUser(t.app, { email: 'cari.dua@example.com', saldo: 0 });
      await registerUser(t.app, { email: 'lain@example.com', saldo: 0 });
      const found = (await admin(t.app, 'GET', '/admin/users?email=CARI.')).json();
      expect(found.map((u: { email: string }) => u.email)).toEqual(['cari.dua@example.com', 'cari.satu@example.com']);
      expect(found[1]).toEqual({ id: await userIdOf(t.app, a.email), nama: expect.any(String), email: a.email, hp: null, saldo: 5_000, aktif: true, rate_limit_per_minute: null, created_at: expect.any(String) });
      // LIKE wildcards are literal: '%' finds nothing here.
      expect((await admin(t.app, 'GET', '/admin/users?email=%25')).json()).toEqual([]);
    });

    it('adjusts a saldo once per ref, in both directions, never below zero', async () => {
      const user = await registerUser(t.app, { saldo: 10_000 });
      const id = await userIdOf(t.app, user.email);
      const credit = await admin(t.app, 'POST', `/admin/users/${id}/saldo`, { jumlah: 2_500, keterangan: 'bonus', ref: 'ADJ-1' });
      expect(credit.json()).toEqual({ ref: 'ADJ-1', user_id: id, jumlah: 2_500, keterangan: 'bonus', saldo_akhir: 12_500, diulang: false });
      const repeat = await admin(t.app, 'POST', `/admin/users/${id}/saldo`, { jumlah: 2_500, keterangan: 'bonus', ref: 'ADJ-1' });
      expect(repeat.statusCode).toBe(200);
      expect(repeat.json()).toMatchObject({ saldo_akhir: 12_500, diulang: true });
      expect(await saldoOf(t.app, user.apiKey)).toBe(12_500);

      const conflict = await admin(t.app, 'POST', `/admin/users/${id}/saldo`, { jumlah: 9_999, keterangan: 'lain', ref: 'ADJ-1' });
      expect(conflict.statusCode).toBe(409);
      expect(conflict.json().code).toBe('KOREKSI_REF_CONFLICT');

      const tooMuch = await admin(t.app, 'POST', `/admin/users/${id}/saldo`, { jumlah: -12_501, keterangan: 'tarik', ref: 'ADJ-2' });
      expect(tooMuch.statusCode).toBe(422);
      expect(tooMuch.json().code).toBe('KOREKSI_BELOW_ZERO');
      const exact = await admin(t.app, 'POST', `/admin/users/${id}/saldo`, { jumlah: -12_500, keterangan: 'tarik', ref: 'ADJ-2' });
      expect(exact.json()).toMatchObject({ saldo_akhir: 0, diulang: false });
      // The same ref again once the saldo no longer covers it: the original answer, nothing moves.
      expect((await admin(t.app, 'POST', `/admin/users/${id}/saldo`, { jumlah: -12_500, keterangan: 'tarik', ref: 'ADJ-2' })).json()).toMatchObject({ diulang: true, saldo_akhir: 0 });
      const mutasi = (await get(t.app, user.apiKey, '/mutasi')).json();
      expect(mutasi.map((m: { jenis: string; jumlah: number }) => [m.jenis, m.jumlah])).toEqual([
        ['koreksi', -12_500],
        ['koreksi', 2_500],
        ['saldo_awal', 10_000],
      ]);
    });

    it('applies one of ten concurrent adjustments with the same ref', async () => {
      const user = await registerUser(t.app, { saldo: 0 });
      const id = await userIdOf(t.app, user.email);
      const results = await Promise.all(Array.from({ length: 10 }, () => admin(t.app, 'POST', `/admin/users/${id}/saldo`, { jumlah: 1_000, keterangan: 'race', ref: 'RACE-1' })));
      expect(results.map((r) => r.statusCode)).toEqual(Array(10).fill(200));
      expect(results.filter((r) => r.json().diulang === false)).toHaveLength(1);
      expect(await saldoOf(t.app, user.apiKey)).toBe(1_000);
    });

    it('refuses bad adjustment input with a 4xx and writes nothing', async () => {
      const user = await registerUser(t.app, { saldo: 1_000 });
      const id = await userIdOf(t.app, user.email);
      const before = await countRows(t.dataSource);
      const cases: Array<[string, unknown, number, string]> = [
        [`/admin/users/${id}/saldo`, { jumlah: 0, keterangan: 'x', ref: 'B-1' }, 400, 'VALIDATION_FAILED'],
        [`/admin/users/${id}/saldo`, { jumlah: '100', keterangan: 'x', ref: 'B-1' }, 400, 'VALIDATION_FAILED'],
        [`/admin/users/${id}/saldo`, { jumlah: 1.5, keterangan: 'x', ref: 'B-1' }, 400, 'VALIDATION_FAILED'],
        [`/admin/users/${id}/saldo`, { jumlah: 1e16, keterangan: 'x', ref: 'B-1' }, 400, 'VALIDATION_FAILED'],
        [`/admin/users/${id}/saldo`, { jumlah: 100, keterangan: '', ref: 'B-1' }, 400, 'VALIDATION_FAILED'],
        [`/admin/users/${id}/saldo`, { jumlah: 100, keterangan: 'x', ref: 'bad ref' }, 400, 'VALIDATION_FAILED'],
        [`/admin/users/${id}/saldo`, { jumlah: 100, keterangan: 'x' }, 400, 'VALIDATION_FAILED'],
        [`/admin/users/${id}/saldo`, { jumlah: 100, keterangan: 'x', ref: 'B-1', user_id: 1 }, 400, 'VALIDATION_FAILED'],
        ['/admin/users/999999/saldo', { jumlah: 100, keterangan: 'x', ref: 'B-1' }, 404, 'USER_NOT_FOUND'],
        ['/admin/users/1e3/saldo', { jumlah: 100, keterangan: 'x', ref: 'B-1' }, 400, 'VALIDATION_FAILED'],
      ];
      for (const [url, payload, status, code] of cases) {
        const res = await admin(t.app, 'POST', url, payload);
        expect({ payload, status: res.statusCode, code: res.json().code }).toEqual({ payload, status, code });
      }
      for (const payload of [{ aktif: 'false' }, { aktif: null }, {}, { aktif: false, saldo: 5 }]) {
        const res = await admin(t.app, 'PATCH', `/admin/users/${id}`, payload);
        expect({ payload, status: res.statusCode }).toEqual({ payload, status: 400 });
      }
      for (const q of ['limit=0', 'limit=abc', 'before_id=-1', 'email=' + 'x'.repeat(200)]) {
        expect((await admin(t.app, 'GET', `/admin/users?${q}`)).statusCode).toBe(400);
      }
      expect(await countRows(t.dataSource)).toEqual(before);
      expect(await saldoOf(t.app, user.apiKey)).toBe(1_000);
    });

    it("finishes a suspended reseller's pending purchases", async () => {
      const user = await registerUser(t.app, { saldo: 50_000 });
      const id = await userIdOf(t.app, user.email);
      // The processor is off in this block: the purchases stay pending while the reseller is suspended.
      const ok = await beli(t.app, user.apiKey, { nomor_tujuan: '087800000001' });
      const fail = await beli(t.app, user.apiKey, { nomor_tujuan: '087800000002' });
      expect((await admin(t.app, 'PATCH', `/admin/users/${id}`, { aktif: false })).statusCode).toBe(200);
      expect((await get(t.app, user.apiKey, '/saldo')).statusCode).toBe(403);
      // A second instance with its processor on picks them up, as any instance would.
      const worker = await startInstanceOn(t.db, adminEnv());
      try {
        await waitForIdle(t.dataSource);
      } finally {
        await worker.close();
      }
      const rows = (await admin(t.app, 'GET', `/admin/transaksi?user_id=${id}`)).json();
      expect(rows.map((r: { id: number; status: string }) => [r.id, r.status])).toEqual([
        [fail.json().id, 'gagal'],
        [ok.json().id, 'sukses'],
      ]);
      const [user_] = await t.dataSource.query('SELECT saldo FROM users WHERE id = ?', [id]);
      expect(Number(user_.saldo)).toBe(50_000 - 12_000);
    });
  },
  adminEnv({ PROCESSOR_ENABLED: 'false' }),
);

describe.each(ENGINES)('operator logs on %s', (engine) => {
  describeFor(engine)(engine, () => {
    const lines: string[] = [];
    const t = useTestApp(engine, adminEnv({ LOG_LEVEL: 'debug' }), { logDestination: { write: (line: string) => void lines.push(line) } });

    it('never writes an operator key or its hash, through sign-ins, refusals and writes', async () => {
      const user = await registerUser(t.app, { saldo: 0 });
      const ticket = (await reseller(t.app, user.apiKey, 'POST', '/deposit', { jumlah: 10_000, bank: 'BCA' })).json();
      await admin(t.app, 'POST', `/admin/deposit/${ticket.id}/konfirmasi`);
      await admin(t.app, 'GET', '/admin/laporan', undefined, `${ADMIN_KEY}-wrong`);
      await admin(t.app, 'GET', '/admin/audit', undefined, ADMIN_KEY_2);
      await admin(t.app, 'POST', '/admin/produk', { nama: 'x' });
      const all = lines.join('');
      expect(all).toContain('"statusCode":401');
      for (const secret of [ADMIN_KEY, ADMIN_KEY_2, `${ADMIN_KEY}-wrong`]) {
        expect(all).not.toContain(secret);
        expect(all).not.toContain(createHash('sha256').update(secret).digest('hex'));
      }
    });
  });
});
