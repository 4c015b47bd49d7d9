import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppInstance, beli, registerUser, startInstanceOn, waitForIdle } from './support/factories';
import { admin, adminEnv, reseller, userIdOf } from './support/admin';
import { checkLedger, doubleExecutions, wrongDebitsAndRefunds } from './support/invariants';
import { describeEachEngine } from './support/test-app';

const START = 100_000;
const TICKETS = 10;
const STUCK = 5;
const PURCHASES = 40;
const KOREKSI_REFS = 10;

type Num = string | number;

const ENV = adminEnv({
  DEPOSIT_MAX_OPEN: String(TICKETS),
  PPOB_SIM_DELAY_MS: '0-20',
  PPOB_SIM_SUCCESS_RATE: '0.5',
  PROCESSOR_INTERVAL_MS: '20',
});

/**
 * One reseller, two instances sharing the database (MariaDB), and everything that moves its money at
 * once: double confirmations of its deposits, repeated adjustments in both directions, purchases
 * that succeed and fail (processor refunds), and manual gagal settlements (operator refunds), with
 * day reports read in the middle. Afterwards every ledger invariant must hold exactly.
 */
describeEachEngine(
  'money under concurrent deposits, adjustments, purchases and refunds',
  (t, engine) => {
    // The first instance's processor is off, so the set-up below can park purchases safely;
    // the second instance, started after it, runs the processor for both.
    let second: AppInstance | undefined;
    afterAll(async () => {
      await second?.close();
    });

    it('keeps every ledger invariant for one reseller hammered from two instances', async () => {
      const user = await registerUser(t.app, { saldo: START });
      const id = await userIdOf(t.app, user.email);

      const tickets = [];
      for (let i = 0; i < TICKETS; i++) tickets.push((await reseller(t.app, user.apiKey, 'POST', '/deposit', { jumlah: 10_000 + i * 1_000, bank: i % 2 ? 'BCA' : 'BRI' })).json());
      // Purchases the processor gave up on, waiting for the operator (set up by hand, as the processor would leave them).
      const stuck: number[] = [];
      for (let i = 0; i < STUCK; i++) stuck.push((await beli(t.app, user.apiKey, { nomor_tujuan: '087800000003' })).json().id);
      expect(stuck.every((trxId) => Number.isInteger(trxId))).toBe(true);
      await t.dataSource.query(`UPDATE transaksi SET status = 'proses', perlu_operator = 1, locked_by = NULL, locked_until = NULL WHERE id IN (${stuck.join(', ')})`);

      second = await startInstanceOn(t.db, { ...ENV, PROCESSOR_ENABLED: 'true' });
      // SQLite is one instance's database (README: one writer at a time; a second process's
      // transaction that read first gets SQLITE_BUSY at its first write): there the second
      // instance alone takes the load, on MariaDB both do.
      const apps: NestFastifyApplication[] = engine === 'sqlite' ? [second.app] : [t.app, second.app];
      const pick = (i: number) => apps[i % apps.length];

      const work: Array<Promise<{ what: string; status: number; body: { code?: string; ledger?: { ok: boolean } } }>> = [];
      const track = (what: string, res: Promise<{ statusCode: number; json: () => unknown }>) =>
        work.push(res.then((r) => ({ what, status: r.statusCode, body: r.json() as { code?: string } })));
      tickets.forEach((ticket, i) => {
        track('konfirmasi', admin(pick(i), 'POST', `/admin/deposit/${ticket.id}/konfirmasi`));
        track('konfirmasi', admin(pick(i + 1), 'POST', `/admin/deposit/${ticket.id}/konfirmasi`));
      });
      for (let i = 0; i < KOREKSI_REFS; i++) {
        const body = { jumlah: i % 2 ? -7_000 : 3_000, keterangan: `hammer ${i}`, ref: `HAM-${i}` };
        track('koreksi', admin(pick(i), 'POST', `/admin/users/${id}/saldo`, body));
        track('koreksi', admin(pick(i + 1), 'POST', `/admin/users/${id}/saldo`, body));
      }
      for (let i = 0; i < PURCHASES; i++) {
        const nomor = ['087800000001', '087800000002', `0812000000${String(i).padStart(2, '0')}`][i % 3];
        track('beli', beli(pick(i), user.apiKey, { produk_id: 1 + (i % 3), nomor_tujuan: nomor, ref_id: `HB-${i % 30}` }));
      }
      stuck.forEach((trxId, i) => {
        track('selesaikan', admin(pick(i), 'POST', `/admin/transaksi/${trxId}/selesaikan`, { status: 'gagal' }));
        track('selesaikan', admin(pick(i + 1), 'POST', `/admin/transaksi/${trxId}/selesaikan`, { status: 'gagal' }));
      });
      for (let i = 0; i < 4; i++) track('laporan', admin(pick(i), 'GET', '/admin/laporan'));

      const results = await Promise.all(work);
      const allowed: Record<string, number[]> = { konfirmasi: [200, 409], koreksi: [200, 422], beli: [200, 402, 409], selesaikan: [200, 409], laporan: [200] };
      const unexpected = results.filter((r) => !allowed[r.what].includes(r.status));
      expect(unexpected).toEqual([]);
      const ok = (what: string) => results.filter((r) => r.what === what && r.status === 200).length;
      expect(ok('konfirmasi')).toBe(TICKETS);
      expect(ok('selesaikan')).toBe(STUCK);
      // Reports read in the middle of it all saw a consistent ledger (one snapshot per report).
      expect(results.filter((r) => r.what === 'laporan').map((r) => r.body.ledger?.ok)).toEqual([true, true, true, true]);

      await waitForIdle(t.dataSource, 30_000);

      // saldo = sum of the ledger = the last saldo_akhir, and nothing went below zero on the way.
      const [check] = (await checkLedger(t.dataSource)).filter((c) => c.userId === id);
      expect(check.saldo).toBe(check.ledgerSum);
      expect(check.saldo).toBe(check.lastSaldoAkhir);
      const [negative] = await t.dataSource.query('SELECT COUNT(*) AS n FROM mutasi WHERE saldo_akhir < 0');
      expect(Number(negative.n)).toBe(0);

      // The saldo is exactly what the business events say it should be.
      const sum = async (sql: string): Promise<number> => Number((await t.dataSource.query(sql, [id]))[0].s);
      const deposited = await sum("SELECT COALESCE(SUM(jumlah_transfer), 0) AS s FROM deposit WHERE user_id = ? AND status = 'sukses'");
      const adjusted = await sum('SELECT COALESCE(SUM(jumlah), 0) AS s FROM saldo_koreksi WHERE user_id = ?');
      const charged = await sum("SELECT COALESCE(SUM(harga), 0) AS s FROM transaksi WHERE user_id = ? AND status <> 'gagal'");
      expect(check.saldo).toBe(START + deposited - charged + adjusted);
      expect(deposited).toBe(tickets.reduce((s, d) => s + d.jumlah_transfer, 0));

      // Each deposit credited once, each adjustment ref applied at most once, each purchase debited
      // once and refunded exactly when gagal, no purchase executed twice.
      const perDeposit: Array<{ n: Num }> = await t.dataSource.query("SELECT COUNT(*) AS n FROM mutasi WHERE user_id = ? AND jenis = 'deposit'", [id]);
      expect(Number(perDeposit[0].n)).toBe(TICKETS);
      const koreksiRows: Array<{ n: Num; refs: Num }> = await t.dataSource.query("SELECT COUNT(*) AS n, (SELECT COUNT(*) FROM saldo_koreksi WHERE user_id = ?) AS refs FROM mutasi WHERE user_id = ? AND jenis = 'koreksi'", [id, id]);
      expect(Number(koreksiRows[0].n)).toBe(Number(koreksiRows[0].refs));
      expect(Number(koreksiRows[0].refs)).toBe(ok('koreksi') - results.filter((r) => r.what === 'koreksi' && r.status === 200 && (r.body as { diulang?: boolean }).diulang).length);
      expect(await wrongDebitsAndRefunds(t.dataSource)).toEqual([]);
      expect(await doubleExecutions(t.dataSource)).toEqual([]);
      const report = (await admin(t.app, 'GET', '/admin/laporan')).json();
      expect(report.ledger).toEqual({ ok: true, reseller_diperiksa: 1, selisih: [] });
    }, 90_000);
  },
  { ...ENV, PROCESSOR_ENABLED: 'false' },
);
