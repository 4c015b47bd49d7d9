import { countRows, get, registerUser, saldoOf } from './support/factories';
import { admin, adminEnv, reseller, userIdOf } from './support/admin';
import { describeEachEngine } from './support/test-app';

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describeEachEngine(
  'deposits: ticket, confirmation, rejection',
  (t) => {
    it('opens a ticket with a unique transfer amount and the configured account', async () => {
      const user = await registerUser(t.app, { saldo: 0 });
      const res = await reseller(t.app, user.apiKey, 'POST', '/deposit', { jumlah: 100_000, bank: 'BCA' });
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body).toEqual({
        id: expect.any(Number),
        jumlah: 100_000,
        jumlah_transfer: expect.any(Number),
        bank: 'BCA',
        rekening: '1234567890',
        atas_nama: 'PT Contoh',
        berita: expect.stringMatching(/^DEP[0-9A-Z]+$/),
        status: 'pending',
        kedaluwarsa: expect.stringMatching(ISO_UTC),
      });
      expect(body.jumlah_transfer).toBeGreaterThan(100_000);
      expect(body.jumlah_transfer).toBeLessThanOrEqual(100_999);
      const hours = (Date.parse(body.kedaluwarsa) - Date.now()) / 3_600_000;
      expect(hours).toBeGreaterThan(23.9);
      expect(hours).toBeLessThanOrEqual(24);
    });

    it('credits jumlah_transfer once on confirmation: one deposit ledger row, the ticket sukses', async () => {
      const user = await registerUser(t.app, { saldo: 0 });
      const ticket = (await reseller(t.app, user.apiKey, 'POST', '/deposit', { jumlah: 50_000, bank: 'BRI' })).json();
      const first = await admin(t.app, 'POST', `/admin/deposit/${ticket.id}/konfirmasi`);
      expect(first.statusCode).toBe(200);
      expect(first.json()).toMatchObject({ id: ticket.id, status: 'sukses', jumlah_transfer: ticket.jumlah_transfer, saldo: ticket.jumlah_transfer });
      expect(await saldoOf(t.app, user.apiKey)).toBe(ticket.jumlah_transfer);
      const again = await admin(t.app, 'POST', `/admin/deposit/${ticket.id}/konfirmasi`);
      expect(again.statusCode).toBe(409);
      expect(again.json().code).toBe('DEPOSIT_NOT_PENDING');
      expect(await saldoOf(t.app, user.apiKey)).toBe(ticket.jumlah_transfer);
      const mutasi = (await get(t.app, user.apiKey, '/mutasi')).json();
      expect(mutasi).toEqual([expect.objectContaining({ jenis: 'deposit', jumlah: ticket.jumlah_transfer, saldo_akhir: ticket.jumlah_transfer, transaksi_id: null })]);
      const listed = (await reseller(t.app, user.apiKey, 'GET', '/deposit')).json();
      expect(listed).toEqual([expect.objectContaining({ id: ticket.id, status: 'sukses' })]);
    });

    it('credits exactly once when ten confirmations of one ticket race', async () => {
      const user = await registerUser(t.app, { saldo: 0 });
      const ticket = (await reseller(t.app, user.apiKey, 'POST', '/deposit', { jumlah: 20_000, bank: 'BCA' })).json();
      const results = await Promise.all(Array.from({ length: 10 }, () => admin(t.app, 'POST', `/admin/deposit/${ticket.id}/konfirmasi`)));
      expect(results.map((r) => r.statusCode).sort()).toEqual([200, ...Array(9).fill(409)]);
      expect(await saldoOf(t.app, user.apiKey)).toBe(ticket.jumlah_transfer);
      const [row] = await t.dataSource.query("SELECT COUNT(*) AS n FROM mutasi WHERE jenis = 'deposit' AND user_id = ?", [await userIdOf(t.app, user.email)]);
      expect(Number(row.n)).toBe(1);
    });

    it('credits nothing for a rejected or an expired ticket', async () => {
      const user = await registerUser(t.app, { saldo: 0 });
      const rejected = (await reseller(t.app, user.apiKey, 'POST', '/deposit', { jumlah: 30_000, bank: 'BCA' })).json();
      const tolak = await admin(t.app, 'POST', `/admin/deposit/${rejected.id}/tolak`);
      expect(tolak.statusCode).toBe(200);
      expect(tolak.json()).toMatchObject({ id: rejected.id, status: 'ditolak' });
      expect((await admin(t.app, 'POST', `/admin/deposit/${rejected.id}/konfirmasi`)).statusCode).toBe(409);

      const expired = (await reseller(t.app, user.apiKey, 'POST', '/deposit', { jumlah: 30_000, bank: 'BCA' })).json();
      await t.dataSource.query("UPDATE deposit SET kedaluwarsa = '2020-01-01 00:00:00.000' WHERE id = ?", [expired.id]);
      const late = await admin(t.app, 'POST', `/admin/deposit/${expired.id}/konfirmasi`);
      expect(late.statusCode).toBe(409);
      expect(late.json().code).toBe('DEPOSIT_EXPIRED');
      expect(await saldoOf(t.app, user.apiKey)).toBe(0);
      const listed = (await reseller(t.app, user.apiKey, 'GET', '/deposit')).json();
      expect(listed.map((d: { status: string }) => d.status)).toEqual(['kedaluwarsa', 'ditolak']);
    });

    it('gives every open ticket of the same jumlah a different transfer amount', async () => {
      const users = await Promise.all(Array.from({ length: 5 }, () => registerUser(t.app, { saldo: 0 })));
      const tickets = await Promise.all(
        users.flatMap((u) => [1, 2, 3].map(() => reseller(t.app, u.apiKey, 'POST', '/deposit', { jumlah: 75_000, bank: 'BCA' }))),
      );
      expect(tickets.map((r) => r.statusCode)).toEqual(Array(15).fill(200));
      const amounts = tickets.map((r) => r.json().jumlah_transfer);
      expect(new Set(amounts).size).toBe(15);
    });

    it('bounds the open tickets per reseller (409 DEPOSIT_TOO_MANY_OPEN)', async () => {
      const user = await registerUser(t.app, { saldo: 0 });
      for (let i = 0; i < 3; i++) expect((await reseller(t.app, user.apiKey, 'POST', '/deposit', { jumlah: 10_000, bank: 'BCA' })).statusCode).toBe(200);
      const fourth = await reseller(t.app, user.apiKey, 'POST', '/deposit', { jumlah: 10_000, bank: 'BCA' });
      expect(fourth.statusCode).toBe(409);
      expect(fourth.json().code).toBe('DEPOSIT_TOO_MANY_OPEN');
    });

    it('refuses bad input with a 4xx and a detail, writing nothing', async () => {
      const user = await registerUser(t.app, { saldo: 0 });
      const before = await countRows(t.dataSource);
      const [deposits] = await t.dataSource.query('SELECT COUNT(*) AS n FROM deposit');
      const cases: Array<[unknown, number, string]> = [
        [{ jumlah: 100_000, bank: 'MANDIRI' }, 400, 'DEPOSIT_BANK_UNKNOWN'],
        [{ jumlah: 9_999, bank: 'BCA' }, 400, 'VALIDATION_FAILED'],
        [{ jumlah: 100_000_001, bank: 'BCA' }, 400, 'VALIDATION_FAILED'],
        [{ jumlah: '100000', bank: 'BCA' }, 400, 'VALIDATION_FAILED'],
        [{ jumlah: 1e300, bank: 'BCA' }, 400, 'VALIDATION_FAILED'],
        [{ jumlah: 10_000.5, bank: 'BCA' }, 400, 'VALIDATION_FAILED'],
        [{ jumlah: 100_000, bank: 'BCA', extra: 1 }, 400, 'VALIDATION_FAILED'],
        [{ bank: 'BCA' }, 400, 'VALIDATION_FAILED'],
      ];
      for (const [payload, status, code] of cases) {
        const res = await reseller(t.app, user.apiKey, 'POST', '/deposit', payload);
        expect({ payload, status: res.statusCode, code: res.json().code }).toEqual({ payload, status, code });
        expect(res.json().detail).toEqual(expect.any(String));
      }
      const unknown = await reseller(t.app, user.apiKey, 'POST', '/deposit', { jumlah: 100_000, bank: 'MANDIRI' });
      expect(unknown.json().detail).toContain('BCA, BRI');
      for (const url of ['/admin/deposit/999999/konfirmasi', '/admin/deposit/999999/tolak']) {
        const res = await admin(t.app, 'POST', url);
        expect(res.statusCode).toBe(404);
        expect(res.json().code).toBe('DEPOSIT_NOT_FOUND');
      }
      expect((await admin(t.app, 'POST', '/admin/deposit/abc/konfirmasi')).statusCode).toBe(400);
      expect(await countRows(t.dataSource)).toEqual(before);
      const [after] = await t.dataSource.query('SELECT COUNT(*) AS n FROM deposit');
      expect(Number(after.n)).toBe(Number(deposits.n));
    });

    it('lists a reseller only its own tickets, and the operator all of them by status', async () => {
      const a = await registerUser(t.app, { saldo: 0 });
      const b = await registerUser(t.app, { saldo: 0 });
      const ta = (await reseller(t.app, a.apiKey, 'POST', '/deposit', { jumlah: 40_000, bank: 'BCA' })).json();
      const tb = (await reseller(t.app, b.apiKey, 'POST', '/deposit', { jumlah: 40_000, bank: 'BCA' })).json();
      expect((await reseller(t.app, a.apiKey, 'GET', '/deposit')).json().map((d: { id: number }) => d.id)).toEqual([ta.id]);
      const pending = (await admin(t.app, 'GET', '/admin/deposit?status=pending')).json();
      expect(pending.map((d: { id: number }) => d.id)).toEqual(expect.arrayContaining([ta.id, tb.id]));
      expect(pending.every((d: { status: string; user_id: number }) => d.status === 'pending' && typeof d.user_id === 'number')).toBe(true);
      expect((await admin(t.app, 'GET', '/admin/deposit?status=bogus')).statusCode).toBe(400);
    });
  },
  adminEnv({ DEPOSIT_MIN: '10000', DEPOSIT_MAX: '100000000', DEPOSIT_MAX_OPEN: '3' }),
);

describeEachEngine(
  'suspending a reseller',
  (t) => {
    it('refuses the suspended key at once with 403 USER_SUSPENDED and lets it back in when reactivated', async () => {
      const user = await registerUser(t.app, { saldo: 50_000 });
      const id = await userIdOf(t.app, user.email);
      expect(await saldoOf(t.app, user.apiKey)).toBe(50_000);
      const res = await admin(t.app, 'PATCH', `/admin/users/${id}`, { aktif: false });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ id, aktif: false });
      const refused = await get(t.app, user.apiKey, '/saldo');
      expect(refused.statusCode).toBe(403);
      expect(refused.json()).toEqual({ statusCode: 403, code: 'USER_SUSPENDED', detail: expect.any(String) });
      expect((await admin(t.app, 'PATCH', `/admin/users/${id}`, { aktif: true })).statusCode).toBe(200);
      expect(await saldoOf(t.app, user.apiKey)).toBe(50_000);
    });
  },
  // The auth cache on: "at once on this instance" must hold with the cache in use.
  adminEnv({ AUTH_CACHE_TTL_MS: '1000' }),
);
