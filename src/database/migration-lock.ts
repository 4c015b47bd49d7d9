import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DataSource } from 'typeorm';
import { isRetryableTransactionError } from '../common/database-errors';

/**
 * The lock that makes instances booting at once on one MySQL/MariaDB database run the migrations
 * one after the other.
 *
 * A row in a table of the database, not GET_LOCK: a Galera cluster replicates rows but not named
 * locks (each node grants the same GET_LOCK name at once, issue 15), and GET_LOCK names are
 * server-wide, so deployments or test runs on different databases of one server waited on each
 * other's start-up (issue 8). The row is named for the database and lives in it.
 *
 * The row is a lease on the database's clock: the holder renews it while the migrations run, and
 * a holder that died (kill -9 mid-boot) loses it after LEASE_S, so nobody waits for a dead
 * process forever. Every statement autocommits: the lock holds no connection between them.
 */
export const MIGRATION_LOCK_TABLE = 'migrations_lock';
const LOCK_NAME_PREFIX = 'ppob_api_migrations:';
/** Long enough that a loaded box renews in time (every RENEW_MS), short enough that a dead holder is passed over within a restart or two. */
const LEASE_S = 60;
const RENEW_MS = 10_000;
/** More than one lease, so a waiter outlives a dead holder's lease; as long as the GET_LOCK wait was. */
export const MIGRATION_LOCK_WAIT_MS = 120_000;
const POLL_MS = 250;

export class MigrationLockTimeout extends Error {
  constructor(readonly holder: string) {
    super(`Timed out waiting for another instance to finish migrations (the lock is held by ${holder})`);
    this.name = 'MigrationLockTimeout';
  }
}

/** Runs `work` while holding the database's migration lock; waits up to `waitMs` for another holder. */
export async function withMigrationLock<T>(dataSource: DataSource, work: () => Promise<T>, waitMs = MIGRATION_LOCK_WAIT_MS): Promise<T> {
  await dataSource.query(
    `CREATE TABLE IF NOT EXISTS \`${MIGRATION_LOCK_TABLE}\` (
      \`name\` varchar(100) NOT NULL,
      \`holder\` varchar(100) NOT NULL,
      \`locked_until\` datetime(6) NOT NULL,
      PRIMARY KEY (\`name\`)
    ) ENGINE=InnoDB`,
  );
  const [{ db }] = (await dataSource.query('SELECT DATABASE() AS db')) as Array<{ db: string }>;
  const name = `${LOCK_NAME_PREFIX}${db}`;
  const holder = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;

  await acquire(dataSource, name, holder, waitMs);
  const renew = setInterval(() => {
    // A failed renewal is tried again at the next tick; the lease outlasts several.
    dataSource
      .query(`UPDATE \`${MIGRATION_LOCK_TABLE}\` SET locked_until = NOW(6) + INTERVAL ? SECOND WHERE name = ? AND holder = ?`, [LEASE_S, name, holder])
      .catch(() => undefined);
  }, RENEW_MS);
  renew.unref();
  try {
    return await work();
  } finally {
    clearInterval(renew);
    await dataSource.query(`DELETE FROM \`${MIGRATION_LOCK_TABLE}\` WHERE name = ? AND holder = ?`, [name, holder]).catch(() => undefined);
  }
}

async function acquire(dataSource: DataSource, name: string, holder: string, waitMs: number): Promise<void> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      // Takes the row when it is missing or its lease ran out; otherwise leaves it as it is.
      // MySQL applies the assignments left to right, so the second sees the new holder.
      await dataSource.query(
        `INSERT INTO \`${MIGRATION_LOCK_TABLE}\` (name, holder, locked_until) VALUES (?, ?, NOW(6) + INTERVAL ? SECOND)
         ON DUPLICATE KEY UPDATE
           holder = IF(locked_until < NOW(6), VALUES(holder), holder),
           locked_until = IF(holder = VALUES(holder), VALUES(locked_until), locked_until)`,
        [name, holder, LEASE_S],
      );
    } catch (err) {
      // Two nodes of a cluster inserting at once: one loses certification (1213). Try again.
      if (!isRetryableTransactionError(err)) throw err;
    }
    const rows = (await dataSource.query(`SELECT holder FROM \`${MIGRATION_LOCK_TABLE}\` WHERE name = ?`, [name])) as Array<{ holder: string }>;
    const current = rows[0]?.holder;
    if (current === holder) return;
    if (Date.now() >= deadline) throw new MigrationLockTimeout(current ?? 'nobody');
    await sleep(POLL_MS);
  }
}
