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

/**
 * For users who all started with `startSaldo`: every saldo equals its ledger sum, its last
 * saldo_akhir and the start minus the harga of non-gagal purchases; every purchase has exactly
 * one debit, and a refund exactly when it is gagal.
 */
export async function expectExactLedgers(dataSource: DataSource, startSaldo: number, userCount: number): Promise<void> {
  const checks = await checkLedger(dataSource);
  expect(checks).toHaveLength(userCount);
  const charged: Array<{ user_id: string | number; s: string | number }> = await dataSource.query(
    "SELECT user_id, SUM(harga) AS s FROM transaksi WHERE status <> 'gagal' GROUP BY user_id",
  );
  const chargedByUser = new Map(charged.map((r) => [Number(r.user_id), Number(r.s)]));
  for (const check of checks) {
    const expected = startSaldo - (chargedByUser.get(check.userId) ?? 0);
    expect(check).toEqual({ userId: check.userId, saldo: expected, ledgerSum: expected, lastSaldoAkhir: expected, expectedSaldo: expected });
  }
  expect(await wrongDebitsAndRefunds(dataSource)).toEqual([]);
}

/**
 * For users with any starting saldo: every saldo equals its ledger sum, its last saldo_akhir and
 * its start minus the harga of non-gagal purchases, and every purchase has exactly one debit (so
 * nothing is half-written).
 */
export async function expectConsistentLedgers(dataSource: DataSource): Promise<void> {
  for (const check of await checkLedger(dataSource)) {
    expect(check.saldo).toBe(check.ledgerSum);
    expect(check.saldo).toBe(check.lastSaldoAkhir);
    expect(check.saldo).toBe(check.expectedSaldo);
  }
  expect(await wrongDebitsAndRefunds(dataSource)).toEqual([]);
}

/**
 * transaksi whose ledger rows are wrong: every purchase needs exactly one debit, and a refund
 * exactly when it is gagal (at most `limit` rows; must be empty).
 */
export function wrongDebitsAndRefunds(
  dataSource: DataSource,
  limit = 20,
): Promise<Array<{ id: string | number; status: string; debits: string | number; refunds: string | number }>> {
  return dataSource.query(
    // COALESCE: a transaksi with no ledger row at all has SUM() = NULL, and NULL <> 1 is not true.
    `SELECT t.id, t.status, COALESCE(SUM(m.jenis = 'debit'), 0) AS debits, COALESCE(SUM(m.jenis = 'refund'), 0) AS refunds
     FROM transaksi t LEFT JOIN mutasi m ON m.transaksi_id = t.id
     GROUP BY t.id, t.status
     HAVING debits <> 1 OR refunds <> (t.status = 'gagal')
     LIMIT ?`,
    [limit],
  );
}
