import type { EntityManager } from 'typeorm';
import { sqlDateTime } from '../database/sql-time';
import { TRANSAKSI_STATUSES } from '../transaksi/transaksi.entity';
import { dayRange } from './business-day';
import type { JumlahTotalDto, LaporanResponseDto, LedgerSelisihDto } from './laporan.dto';

type Num = number | string | null;

/**
 * The day's figures and the ledger check, read inside `manager`'s transaction: on MySQL/MariaDB
 * every SELECT of one transaction reads the same snapshot (REPEATABLE READ), so the figures add
 * up even while purchases and deposits go on. Shared by GET /admin/laporan and
 * `npm run laporan`, which therefore print the same thing.
 */
export async function buildLaporan(manager: EntityManager, tanggal: string, zona: string): Promise<LaporanResponseDto> {
  const { start, end } = dayRange(tanggal, zona);
  const range = [sqlDateTime(start), sqlDateTime(end)];

  const byStatus: Array<{ status: string; n: Num; total: Num; margin: Num }> = await manager.query(
    `SELECT status, COUNT(*) AS n, COALESCE(SUM(harga), 0) AS total, COALESCE(SUM(harga - nominal), 0) AS margin
     FROM transaksi WHERE waktu >= ? AND waktu < ? GROUP BY status`,
    range,
  );
  const pembelian = Object.fromEntries(TRANSAKSI_STATUSES.map((s) => [s, { jumlah: 0, total: 0 }])) as Record<(typeof TRANSAKSI_STATUSES)[number], JumlahTotalDto>;
  let margin = 0;
  for (const row of byStatus) {
    if (!(row.status in pembelian)) continue;
    pembelian[row.status as keyof typeof pembelian] = { jumlah: Number(row.n), total: Number(row.total) };
    if (row.status === 'sukses') margin = Number(row.margin);
  }
  const semua = Object.values(pembelian).reduce((a, b) => ({ jumlah: a.jumlah + b.jumlah, total: a.total + b.total }), { jumlah: 0, total: 0 });

  const byJenis: Array<{ jenis: string; n: Num; total: Num; kredit: Num; debit: Num }> = await manager.query(
    `SELECT jenis, COUNT(*) AS n, COALESCE(SUM(jumlah), 0) AS total,
       COALESCE(SUM(CASE WHEN jumlah > 0 THEN jumlah ELSE 0 END), 0) AS kredit,
       COALESCE(SUM(CASE WHEN jumlah < 0 THEN jumlah ELSE 0 END), 0) AS debit
     FROM mutasi WHERE waktu >= ? AND waktu < ? AND jenis IN ('refund', 'deposit', 'koreksi') GROUP BY jenis`,
    range,
  );
  const jenis = (name: string) => byJenis.find((r) => r.jenis === name);
  const figures = (name: string): JumlahTotalDto => ({ jumlah: Number(jenis(name)?.n ?? 0), total: Number(jenis(name)?.total ?? 0) });
  const koreksi = jenis('koreksi');

  return {
    tanggal,
    zona,
    dari: start.toISOString(),
    sampai: end.toISOString(),
    pembelian: { ...pembelian, semua },
    refund: figures('refund'),
    deposit: figures('deposit'),
    koreksi: { ...figures('koreksi'), kredit: Number(koreksi?.kredit ?? 0), debit: Number(koreksi?.debit ?? 0) },
    margin,
    ledger: await checkLedger(manager),
  };
}

/** For every reseller, over all time: saldo = the latest saldo_akhir = the sum of the ledger. */
async function checkLedger(manager: EntityManager): Promise<LaporanResponseDto['ledger']> {
  const [count]: Array<{ n: Num }> = await manager.query('SELECT COUNT(*) AS n FROM users');
  const rows: Array<{ id: Num; saldo: Num; total: Num; last: Num }> = await manager.query(
    `SELECT u.id, u.saldo, COALESCE(s.total, 0) AS total, l.saldo_akhir AS last
     FROM users u
     LEFT JOIN (SELECT user_id, SUM(jumlah) AS total, MAX(id) AS last_id FROM mutasi GROUP BY user_id) s ON s.user_id = u.id
     LEFT JOIN mutasi l ON l.id = s.last_id
     WHERE u.saldo <> COALESCE(s.total, 0) OR u.saldo <> COALESCE(l.saldo_akhir, 0)
     ORDER BY u.id
     LIMIT 100`,
  );
  const selisih: LedgerSelisihDto[] = rows.map((r) => ({
    user_id: Number(r.id),
    saldo: Number(r.saldo),
    jumlah_mutasi: Number(r.total),
    saldo_akhir_terakhir: r.last === null ? null : Number(r.last),
  }));
  return { ok: selisih.length === 0, reseller_diperiksa: Number(count.n), selisih };
}
