import type { EntityManager } from 'typeorm';
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
 * locked_until now + lease, attempts + 1. Returns the claimed ids.
 */
export function claimTransaksi(runner: TransactionRunner, request: ClaimRequest): Promise<number[]> {
  return CLAIMERS[runner.dialect](runner, request);
}

const CLAIMERS: Record<Dialect, (runner: TransactionRunner, request: ClaimRequest) => Promise<number[]>> = {
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
      const pending: Array<{ id: string | number }> = await manager.query(
        "SELECT id FROM transaksi WHERE status = 'pending' ORDER BY id LIMIT ? FOR UPDATE SKIP LOCKED",
        [limit],
      );
      const ids = pending.map((row) => Number(row.id));
      if (ids.length < limit) {
        const expired: Array<{ id: string | number }> = await manager.query(
          "SELECT id FROM transaksi WHERE status = 'proses' AND locked_until < ? ORDER BY locked_until LIMIT ? FOR UPDATE SKIP LOCKED",
          [nowSql, limit - ids.length],
        );
        ids.push(...expired.map((row) => Number(row.id)));
      }
      if (ids.length === 0) return ids;
      await manager.query(
        `UPDATE transaksi SET status = 'proses', locked_by = ?, locked_until = ?, attempts = attempts + 1, updated_at = ?
         WHERE id IN (${ids.map(() => '?').join(', ')})`,
        [instanceId, sqlDateTime(new Date(now.getTime() + leaseMs)), nowSql, ...ids],
      );
      return ids;
    }, 'READ COMMITTED'),

  /**
   * SQLite has no row locks (TypeORM throws LockNotSupportedOnGivenDriverError for any setLock),
   * but a single UPDATE ... RETURNING is atomic against every other writer of the file.
   */
  sqlite: (runner, { instanceId, limit, leaseMs, now }) =>
    runner.run(async (manager: EntityManager) => {
      const nowSql = sqlDateTime(now);
      const rows: Array<{ id: number }> = await manager.query(
        `UPDATE transaksi SET status = 'proses', locked_by = ?, locked_until = ?, attempts = attempts + 1, updated_at = ?
         WHERE id IN (
           SELECT id FROM transaksi
           WHERE status = 'pending' OR (status = 'proses' AND locked_until < ?)
           ORDER BY id LIMIT ?
         )
         RETURNING id`,
        [instanceId, sqlDateTime(new Date(now.getTime() + leaseMs)), nowSql, nowSql, limit],
      );
      return rows.map((row) => Number(row.id));
    }),
};
