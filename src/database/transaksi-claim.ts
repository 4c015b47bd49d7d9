import type { EntityManager } from 'typeorm';
import type { Transaksi } from '../transaksi/transaksi.entity';
import { TRANSAKSI_COLUMNS, transaksiFromRow, TransaksiRow } from '../transaksi/transaksi.mapper';
import { sqlDateTime } from './sql-time';
import type { Dialect, TransactionRunner } from './transaction-runner';

export interface ClaimRequest {
  instanceId: string;
  limit: number;
  leaseMs: number;
  now: Date;
}

/**
 * Claims up to `limit` transaksi for this instance: pending rows first, then rows whose lease
 * expired (an instance died or stalled). Claimed rows become `proses`, locked_by this instance,
 * locked_until now + lease, attempts + 1. Returns the claimed rows as they are after the claim,
 * in id order (read in the claim itself, so no second query loads them).
 */
export async function claimTransaksi(runner: TransactionRunner, request: ClaimRequest): Promise<Transaksi[]> {
  const rows = await CLAIMERS[runner.dialect](runner, request);
  return rows.map(transaksiFromRow).sort((a, b) => a.id - b.id);
}

const CLAIMERS: Record<Dialect, (runner: TransactionRunner, request: ClaimRequest) => Promise<TransaksiRow[]>> = {
  /**
   * A short READ COMMITTED transaction. Under REPEATABLE READ, InnoDB takes gap locks that make
   * claims deadlock with concurrent INSERTs from /beli. SKIP LOCKED lets several instances claim
   * at once without waiting on each other's rows. The queries use the bare table with LIMIT
   * (no joins), so exactly the rows returned are locked, via ix_transaksi_status_id and
   * ix_transaksi_status_locked_until.
   */
  mysql: (runner, { instanceId, limit, leaseMs, now }) =>
    runner.run(async (manager: EntityManager) => {
      const nowSql = sqlDateTime(now);
      const rows: TransaksiRow[] = await manager.query(
        `SELECT ${TRANSAKSI_COLUMNS} FROM transaksi WHERE status = 'pending' ORDER BY id LIMIT ? FOR UPDATE SKIP LOCKED`,
        [limit],
      );
      if (rows.length < limit) {
        const expired: TransaksiRow[] = await manager.query(
          `SELECT ${TRANSAKSI_COLUMNS} FROM transaksi WHERE status = 'proses' AND locked_until < ? ORDER BY locked_until LIMIT ? FOR UPDATE SKIP LOCKED`,
          [nowSql, limit - rows.length],
        );
        rows.push(...expired);
      }
      if (rows.length === 0) return rows;
      const lockedUntil = new Date(now.getTime() + leaseMs);
      await manager.query(
        `UPDATE transaksi SET status = 'proses', locked_by = ?, locked_until = ?, attempts = attempts + 1, updated_at = ?
         WHERE id IN (${rows.map(() => '?').join(', ')})`,
        [instanceId, sqlDateTime(lockedUntil), nowSql, ...rows.map((row) => row.id)],
      );
      // The rows as the UPDATE left them.
      return rows.map((row) => ({ ...row, status: 'proses', locked_by: instanceId, locked_until: lockedUntil, attempts: Number(row.attempts) + 1, updated_at: now }));
    }, 'READ COMMITTED'),

  /**
   * SQLite has no row locks (TypeORM throws LockNotSupportedOnGivenDriverError for any setLock),
   * but a single UPDATE ... RETURNING is atomic against every other writer of the file.
   */
  sqlite: (runner, { instanceId, limit, leaseMs, now }) =>
    runner.run(async (manager: EntityManager) => {
      const nowSql = sqlDateTime(now);
      return manager.query(
        `UPDATE transaksi SET status = 'proses', locked_by = ?, locked_until = ?, attempts = attempts + 1, updated_at = ?
         WHERE id IN (
           SELECT id FROM transaksi
           WHERE status = 'pending' OR (status = 'proses' AND locked_until < ?)
           ORDER BY id LIMIT ?
         )
         RETURNING ${TRANSAKSI_COLUMNS}`,
        [instanceId, sqlDateTime(new Date(now.getTime() + leaseMs)), nowSql, nowSql, limit],
      );
    }),
};
