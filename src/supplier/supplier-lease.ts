import type { DataSource } from 'typeorm';
import type { Dialect } from '../database/transaction-runner';

/**
 * A named lease row on the database's clock (like the migration lock row): whoever holds
 * `nama` until `locked_until` runs the job; a holder that died loses it when the time passes.
 * One autocommitted statement takes it, so no connection is held between jobs.
 */
export async function tryLease(dataSource: DataSource, dialect: Dialect, nama: string, holder: string, ms: number): Promise<boolean> {
  if (dialect === 'mysql') {
    // Assignments apply left to right: the second sees the holder the first may have set.
    await dataSource.query(
      `INSERT INTO supplier_lease (nama, holder, locked_until) VALUES (?, ?, UTC_TIMESTAMP(3) + INTERVAL ? MICROSECOND)
       ON DUPLICATE KEY UPDATE
         holder = IF(locked_until < UTC_TIMESTAMP(3), VALUES(holder), holder),
         locked_until = IF(holder = VALUES(holder), VALUES(locked_until), locked_until)`,
      [nama, holder, Math.round(ms) * 1000],
    );
  } else {
    await dataSource.query(
      `INSERT INTO supplier_lease (nama, holder, locked_until) VALUES (?, ?, strftime('%Y-%m-%d %H:%M:%f', 'now', ?))
       ON CONFLICT (nama) DO UPDATE SET holder = excluded.holder, locked_until = excluded.locked_until
       WHERE supplier_lease.locked_until < strftime('%Y-%m-%d %H:%M:%f', 'now')`,
      [nama, holder, `+${(ms / 1000).toFixed(3)} seconds`],
    );
  }
  const [row]: Array<{ holder: string }> = await dataSource.query('SELECT holder FROM supplier_lease WHERE nama = ?', [nama]);
  return row?.holder === holder;
}

export async function releaseLease(dataSource: DataSource, nama: string, holder: string): Promise<void> {
  await dataSource.query('DELETE FROM supplier_lease WHERE nama = ? AND holder = ?', [nama, holder]);
}
