import type { DataSource } from 'typeorm';

export interface LedgerCheck {
  userId: number;
  saldo: number;
  ledgerSum: number;
  lastSaldoAkhir: number | null;
  expectedSaldo: number;
}

/**
 * Recomputes the money invariants from the database: for every user, saldo = sum of their
 * ledger = last saldo_akhir = starting saldo - harga of purchases not refunded (pending,
 * proses and sukses stay charged; gagal is refunded).
 */
export async function checkLedger(dataSource: DataSource): Promise<LedgerCheck[]> {
  const users: Array<{ id: string | number; saldo: string | number }> = await dataSource.query('SELECT id, saldo FROM users ORDER BY id');
  const result: LedgerCheck[] = [];
  for (const user of users) {
    const id = Number(user.id);
    const [sum] = await dataSource.query('SELECT COALESCE(SUM(jumlah), 0) AS s FROM mutasi WHERE user_id = ?', [id]);
    const [last] = await dataSource.query('SELECT saldo_akhir FROM mutasi WHERE user_id = ? ORDER BY id DESC LIMIT 1', [id]);
    const [start] = await dataSource.query("SELECT COALESCE(SUM(jumlah), 0) AS s FROM mutasi WHERE user_id = ? AND jenis = 'saldo_awal'", [id]);
    const [charged] = await dataSource.query("SELECT COALESCE(SUM(harga), 0) AS s FROM transaksi WHERE user_id = ? AND status <> 'gagal'", [id]);
    result.push({
      userId: id,
      saldo: Number(user.saldo),
      ledgerSum: Number(sum.s),
      lastSaldoAkhir: last ? Number(last.saldo_akhir) : null,
      expectedSaldo: Number(start.s) - Number(charged.s),
    });
  }
  return result;
}

/** transaksi ids the simulated provider executed more than once (must be empty). */
export async function doubleExecutions(dataSource: DataSource): Promise<number[]> {
  const rows: Array<{ transaksi_id: string | number }> = await dataSource.query(
    'SELECT transaksi_id FROM ppob_sim_eksekusi GROUP BY transaksi_id HAVING COUNT(*) > 1',
  );
  return rows.map((row) => Number(row.transaksi_id));
}
