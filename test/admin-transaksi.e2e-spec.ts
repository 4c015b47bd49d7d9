import { execFile } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beli, get, registerUser, saldoOf, waitForIdle } from './support/factories';
import { admin, adminEnv, reseller, userIdOf } from './support/admin';
import { assertBuilt, PROJECT_ROOT } from './support/instances';
import { checkLedger, wrongDebitsAndRefunds } from './support/invariants';
import { describeEachEngine, TestApp } from './support/test-app';

const run = promisify(execFile);

/** What the processor leaves when it gives up without a definite answer: proses, no lease holder. */
async function makeWaitForOperator(t: TestApp, id: number): Promise<void> {
  await t.dataSource.query("UPDATE transaksi SET status = 'proses', perlu_operator = 1, locked_by = NULL, locked_until = NULL, attempts = 3 WHERE id = ?", [id]);
}

async function refundsOf(t: TestApp, id: number): Promise<number> {
  const [row] = await t.dataSource.query("SELECT COUNT(*) AS n FROM mutasi WHERE jenis = 'refund' AND transaksi_id = ?", [id]);
  return Number(row.n);
}

describeEachEngine(
  'operator: transaksi list and manual settlement',
  (t) => {
    it('filters by status, user, produk, ref_id, nomor_tujuan and time', async () => {
      const a = await registerUser(t.app, { saldo: 100_000 });
      const b = await registerUser(t.app, { saldo: 100_000 });
      const ia = await userIdOf(t.app, a.email);
      const t1 = (await beli(t.app, a.apiKey, { produk_id: 1, nomor_tujuan: '081111111111', ref_id: 'F-1' })).json();
      const t2 = (await beli(t.app, a.apiKey, { produk_id: 2, nomor_tujuan: '082222222222' })).json();
      const t3 = (await beli(t.app, b.apiKey, { produk_id: 1, nomor_tujuan: '081111111111', ref_id: 'F-1' })).json();
      await t.dataSource.query("UPDATE transaksi SET waktu = '2026-01-01 00:00:00.000' WHERE id = ?", [t1.id]);
      const ids = async (q: string) => (await admin(t.app, 'GET', `/admin/transaksi?${q}`)).json().map((r: { id: number }) => r.id);
      expect(await ids(`user_id=${ia}`)).toEqual([t2.id, t1.id]);
      expect(await ids('produk_id=2')).toEqual([t2.id]);
      expect(await ids('ref_id=F-1')).toEqual([t3.id, t1.id]);
      expect(await ids(`ref_id=F-1&user_id=${ia}`)).toEqual([t1.id]);
      expect(await ids('nomor_tujuan=081111111111')).toEqual([t3.id, t1.id]);
      expect(await ids('to=2026-01-02T00:00:00Z')).toEqual([t1.id]);
      expect(await ids('from=2026-01-02T00:00:00%2B07:00&nomor_tujuan=081111111111')).toEqual([t3.id]);
      expect(await ids(`status=pending&before_id=${t3.id}&limit=1`)).toEqual([t2.id]);
      const row = (await admin(t.app, 'GET', `/admin/transaksi?ref_id=F-1&user_id=${ia}`)).json()[0];
      expect(row).toEqual({
        id: t1.id,
        user_id: ia,
        produk_id: 1,
        ref_id: 'F-1',
        nomor_tujuan: '081111111111',
        nominal: 10_000,
        harga: 12_000,
        status: 'pending',
        perlu_operator: false,
        attempts: 0,
        hasil_eksekusi: null,
        sn: null,
        upstream_rc: null,
        upstream_pesan: null,
        waktu: '2026-01-01T00:00:00.000Z',
        updated_at: expect.any(String),
      });
    });

    it('shows the purchases waiting for an operator, and settles one as gagal with a single refund', async () => {
      const user = await registerUser(t.app, { saldo: 30_000 });
      const trx = (await beli(t.app, user.apiKey, { nomor_tujuan: '087800000003' })).json();
      await makeWaitForOperator(t, trx.id);
      const waiting = (await admin(t.app, 'GET', '/admin/transaksi?perlu_operator=true')).json();
      expect(waiting.map((r: { id: number }) => r.id)).toContain(trx.id);
      expect(waiting.every((r: { perlu_operator: boolean; status: string }) => r.perlu_operator && r.status === 'proses')).toBe(true);

      const results = await Promise.all(Array.from({ length: 8 }, () => admin(t.app, 'POST', `/admin/transaksi/${trx.id}/selesaikan`, { status: 'gagal', keterangan: 'supplier: gagal' })));
      expect(results.map((r) => r.statusCode).sort()).toEqual([200, ...Array(7).fill(409)]);
      const settled = results.find((r) => r.statusCode === 200)!.json();
      expect(settled).toMatchObject({ id: trx.id, status: 'gagal', perlu_operator: false, hasil_eksekusi: 'Gagal (diselesaikan operator: supplier: gagal)' });
      expect(results.find((r) => r.statusCode === 409)!.json().code).toBe('TRANSAKSI_NOT_SETTLEABLE');
      expect(await refundsOf(t, trx.id)).toBe(1);
      expect(await saldoOf(t.app, user.apiKey)).toBe(30_000);
      expect((await get(t.app, user.apiKey, `/status/${trx.id}`)).json()).toMatchObject({ status: 'gagal' });
    });

    it('settles one as sukses with the serial number and refunds nothing', async () => {
      const user = await registerUser(t.app, { saldo: 30_000 });
      const trx = (await beli(t.app, user.apiKey, { nomor_tujuan: '087800000003' })).json();
      await makeWaitForOperator(t, trx.id);
      const res = await admin(t.app, 'POST', `/admin/transaksi/${trx.id}/selesaikan`, { status: 'sukses', sn: '0123-4567-8901' });
      expect(res.statusCode).toBe(200);
      expect((await get(t.app, user.apiKey, `/status/${trx.id}`)).json()).toMatchObject({ status: 'sukses', hasil_eksekusi: 'Sukses. SN: 0123-4567-8901 (diselesaikan operator)' });
      expect(await refundsOf(t, trx.id)).toBe(0);
      expect(await saldoOf(t.app, user.apiKey)).toBe(18_000);
    });

    it('cannot settle a row the processor holds, one still pending, or one not handed to the operator', async () => {
      const user = await registerUser(t.app, { saldo: 50_000 });
      const held = (await beli(t.app, user.apiKey)).json();
      await t.dataSource.query("UPDATE transaksi SET status = 'proses', locked_by = 'other-instance', locked_until = '2099-01-01 00:00:00.000' WHERE id = ?", [held.id]);
      const pending = (await beli(t.app, user.apiKey)).json();
      // proses without a holder but not handed to the operator (the processor may still take it back).
      const unmarked = (await beli(t.app, user.apiKey)).json();
      await t.dataSource.query("UPDATE transaksi SET status = 'proses', locked_by = NULL, locked_until = NULL WHERE id = ?", [unmarked.id]);
      const before = await t.dataSource.query('SELECT id, status, hasil_eksekusi, locked_by FROM transaksi ORDER BY id');
      for (const [id, detail] of [
        [held.id, 'sedang dikerjakan processor'],
        [pending.id, 'belum diproses'],
        [unmarked.id, 'sedang dikerjakan processor'],
      ] as const) {
        for (const body of [{ status: 'gagal' }, { status: 'sukses', sn: '1' }]) {
          const res = await admin(t.app, 'POST', `/admin/transaksi/${id}/selesaikan`, body);
          expect(res.statusCode).toBe(409);
          expect(res.json()).toMatchObject({ code: 'TRANSAKSI_NOT_SETTLEABLE', detail: expect.stringContaining(detail) });
        }
      }
      expect(await t.dataSource.query('SELECT id, status, hasil_eksekusi, locked_by FROM transaksi ORDER BY id')).toEqual(before);
      expect(await refundsOf(t, held.id)).toBe(0);
    });

    it('refuses bad input with a 4xx and writes nothing', async () => {
      const user = await registerUser(t.app, { saldo: 20_000 });
      const trx = (await beli(t.app, user.apiKey)).json();
      await makeWaitForOperator(t, trx.id);
      const before = await t.dataSource.query('SELECT id, status, hasil_eksekusi FROM transaksi ORDER BY id');
      const cases: Array<[string, unknown, number, string]> = [
        [`/admin/transaksi/${trx.id}/selesaikan`, { status: 'batal' }, 400, 'VALIDATION_FAILED'],
        [`/admin/transaksi/${trx.id}/selesaikan`, { status: 'sukses' }, 400, 'VALIDATION_FAILED'],
        [`/admin/transaksi/${trx.id}/selesaikan`, { status: 'sukses', sn: '' }, 400, 'VALIDATION_FAILED'],
        [`/admin/transaksi/${trx.id}/selesaikan`, { status: 'sukses', sn: 123 }, 400, 'VALIDATION_FAILED'],
        [`/admin/transaksi/${trx.id}/selesaikan`, { status: 'sukses', sn: '<script>' }, 400, 'VALIDATION_FAILED'],
        [`/admin/transaksi/${trx.id}/selesaikan`, { status: 'gagal', sn: '123' }, 400, 'VALIDATION_FAILED'],
        [`/admin/transaksi/${trx.id}/selesaikan`, { status: 'gagal', refund: false }, 400, 'VALIDATION_FAILED'],
        ['/admin/transaksi/99999999/selesaikan', { status: 'gagal' }, 404, 'TRANSAKSI_NOT_FOUND'],
        ['/admin/transaksi/abc/selesaikan', { status: 'gagal' }, 400, 'VALIDATION_FAILED'],
      ];
      for (const [url, payload, status, code] of cases) {
        const res = await admin(t.app, 'POST', url, payload);
        expect({ payload, status: res.statusCode, code: res.json().code }).toEqual({ payload, status, code });
      }
      for (const q of ['status=selesai', 'user_id=abc', 'user_id=0', 'produk_id=1.5', 'ref_id=a%20b', 'nomor_tujuan=12', 'from=kemarin', 'to=2026-13-01', 'perlu_operator=ya', 'limit=101', 'sort=id']) {
        const res = await admin(t.app, 'GET', `/admin/transaksi?${q}`);
        expect({ q, status: res.statusCode, code: res.json().code }).toEqual({ q, status: 400, code: 'VALIDATION_FAILED' });
      }
      expect(await t.dataSource.query('SELECT id, status, hasil_eksekusi FROM transaksi ORDER BY id')).toEqual(before);
      expect(await refundsOf(t, trx.id)).toBe(0);
    });
  },
  adminEnv({ PROCESSOR_ENABLED: 'false' }),
);

/** Moves every row of the test's activity into 2026-11-30 WIB (00:30), and the given transaksi into the day before. */
async function placeOnDay(t: TestApp, previousDayTrx: number): Promise<void> {
  for (const table of ['transaksi', 'mutasi']) await t.dataSource.query(`UPDATE ${table} SET waktu = '2026-11-29 17:30:00.000'`);
  await t.dataSource.query("UPDATE transaksi SET waktu = '2026-11-29 16:59:59.999' WHERE id = ?", [previousDayTrx]);
  await t.dataSource.query("UPDATE mutasi SET waktu = '2026-11-29 16:59:59.999' WHERE transaksi_id = ?", [previousDayTrx]);
}

describeEachEngine(
  'operator: the day report',
  (t) => {
    it("adds up an Asia/Jakarta day's purchases, refunds, deposits, corrections and margin, and the ledger check holds", async () => {
      const user = await registerUser(t.app, { saldo: 100_000 });
      const id = await userIdOf(t.app, user.email);
      const ticket = (await reseller(t.app, user.apiKey, 'POST', '/deposit', { jumlah: 50_000, bank: 'BCA' })).json();
      expect((await admin(t.app, 'POST', `/admin/deposit/${ticket.id}/konfirmasi`)).statusCode).toBe(200);
      await admin(t.app, 'POST', `/admin/users/${id}/saldo`, { jumlah: 1_000, keterangan: 'bonus', ref: 'L-1' });
      await admin(t.app, 'POST', `/admin/users/${id}/saldo`, { jumlah: -500, keterangan: 'biaya', ref: 'L-2' });
      await beli(t.app, user.apiKey, { nomor_tujuan: '087800000001' });
      await beli(t.app, user.apiKey, { produk_id: 3, nomor_tujuan: '087800000001' });
      await beli(t.app, user.apiKey, { nomor_tujuan: '087800000002' });
      const yesterday = (await beli(t.app, user.apiKey, { nomor_tujuan: '087800000001' })).json();
      await waitForIdle(t.dataSource);
      await placeOnDay(t, yesterday.id);

      const res = await admin(t.app, 'GET', '/admin/laporan?tanggal=2026-11-30');
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({
        tanggal: '2026-11-30',
        zona: 'Asia/Jakarta',
        dari: '2026-11-29T17:00:00.000Z',
        sampai: '2026-11-30T17:00:00.000Z',
        pembelian: {
          pending: { jumlah: 0, total: 0 },
          proses: { jumlah: 0, total: 0 },
          sukses: { jumlah: 2, total: 12_000 + 51_000 },
          gagal: { jumlah: 1, total: 12_000 },
          semua: { jumlah: 3, total: 75_000 },
        },
        refund: { jumlah: 1, total: 12_000 },
        deposit: { jumlah: 1, total: ticket.jumlah_transfer },
        koreksi: { jumlah: 2, total: 500, kredit: 1_000, debit: -500 },
        margin: 2_000 + 1_000,
        ledger: { ok: true, reseller_diperiksa: 1, selisih: [] },
      });
      const dayBefore = (await admin(t.app, 'GET', '/admin/laporan?tanggal=2026-11-29')).json();
      expect(dayBefore.pembelian.sukses).toEqual({ jumlah: 1, total: 12_000 });
      expect(dayBefore.deposit).toEqual({ jumlah: 0, total: 0 });
    });

    it('names a reseller whose saldo does not match its ledger, and npm run laporan prints the same', async () => {
      assertBuilt();
      const [victim] = await t.dataSource.query('SELECT id, saldo FROM users ORDER BY id LIMIT 1');
      await t.dataSource.query('UPDATE users SET saldo = saldo + 1 WHERE id = ?', [victim.id]);
      const api = (await admin(t.app, 'GET', '/admin/laporan?tanggal=2026-11-30')).json();
      expect(api.ledger).toEqual({
        ok: false,
        reseller_diperiksa: 1,
        selisih: [{ user_id: Number(victim.id), saldo: Number(victim.saldo) + 1, jumlah_mutasi: Number(victim.saldo), saldo_akhir_terakhir: Number(victim.saldo) }],
      });
      // Outside the project directory, so a developer's .env cannot change what the CLI reads.
      const cli = await run(process.execPath, [join(PROJECT_ROOT, 'dist', 'src', 'laporan', 'laporan.cli.js'), '2026-11-30'], {
        cwd: tmpdir(),
        // SQLITE_NATIVE_BINDING: npm test may run under a Node with its own better-sqlite3 build (test/run.js).
        env: { PATH: process.env.PATH, DATABASE_URL: t.db.url, NODE_ENV: 'test', ...(process.env.SQLITE_NATIVE_BINDING ? { SQLITE_NATIVE_BINDING: process.env.SQLITE_NATIVE_BINDING } : {}) },
      }).then(
        () => ({ code: 0, stdout: '' }),
        (err: { code: number; stdout: string }) => ({ code: err.code, stdout: err.stdout }),
      );
      expect(cli.code).toBe(2);
      expect(JSON.parse(cli.stdout)).toEqual(api);
      await t.dataSource.query('UPDATE users SET saldo = saldo - 1 WHERE id = ?', [victim.id]);
      expect((await checkLedger(t.dataSource)).every((c) => c.saldo === c.ledgerSum && c.saldo === c.lastSaldoAkhir)).toBe(true);
      expect(await wrongDebitsAndRefunds(t.dataSource)).toEqual([]);
    });

    it('refuses a malformed or impossible date with 400', async () => {
      for (const q of ['tanggal=30-11-2026', 'tanggal=2026-02-30', 'tanggal=2026-11-30T00:00', 'tanggal=', 'hari=1']) {
        const res = await admin(t.app, 'GET', `/admin/laporan?${q}`);
        expect({ q, status: res.statusCode, code: res.json().code }).toEqual({ q, status: 400, code: 'VALIDATION_FAILED' });
      }
      expect((await admin(t.app, 'GET', '/admin/laporan')).json().zona).toBe('Asia/Jakarta');
    });
  },
  adminEnv(),
);
