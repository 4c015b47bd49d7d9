import { createConnection, Connection } from 'mysql2/promise';
import type { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '../src/database/data-source-options';
import { initDataSource } from '../src/database/database-startup';
import { MIGRATION_LOCK_TABLE, MigrationLockTimeout, withMigrationLock } from '../src/database/migration-lock';
import { createTestDatabase, describeFor, TestDatabase } from './support/test-db';
import { within } from './chaos/private-mariadb';
import { sleep } from './support/instances';

/**
 * Start-up's migration lock on MySQL/MariaDB (issue 8 item 8, issue 15). Several instances
 * booting on one database run the migrations one after the other; instances on *different*
 * databases of one server must not wait for each other, and a pool of one connection must boot.
 * SQLite has no lock (it serialises writers itself), so these are MySQL-only.
 */
const BOOT_BOUND_MS = 20_000;

function open(url: string, poolSize = 4): Promise<DataSource> {
  return initDataSource(buildDataSourceOptions({ type: 'mysql', url, poolSize, connectTimeoutMs: 5_000 }));
}

/** The session of `url`'s database that is stuck behind the test's table lock (the booting instance), if any. */
async function waitingOnTableLock(admin: Connection, url: string): Promise<boolean> {
  const db = new URL(url).pathname.slice(1);
  const [rows] = await admin.query(
    "SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE DB = ? AND STATE LIKE 'Waiting for table%lock'",
    [db],
  );
  return Number((rows as Array<{ n: number }>)[0].n) > 0;
}

describeFor('mysql')('migration lock [mysql]', () => {
  const databases: TestDatabase[] = [];
  const opened: DataSource[] = [];

  async function database(): Promise<TestDatabase> {
    const db = await createTestDatabase('mysql');
    databases.push(db);
    return db;
  }

  /** A migrated database whose lock row says `holder` holds it for `seconds` more (negative: its lease ran out). */
  async function migratedWithLockHeld(holder: string, seconds: number): Promise<TestDatabase & { ds: DataSource }> {
    const db = await database();
    const ds = await open(db.url);
    opened.push(ds);
    await ds.query(
      `INSERT INTO \`${MIGRATION_LOCK_TABLE}\` (name, holder, locked_until) VALUES (CONCAT('ppob_api_migrations:', DATABASE()), ?, NOW(6) + INTERVAL ? SECOND)`,
      [holder, seconds],
    );
    return { ...db, ds };
  }

  afterAll(async () => {
    for (const ds of opened) await ds.destroy().catch(() => undefined);
    for (const db of databases) await db.drop();
  });

  it('boots with DATABASE_POOL_SIZE=1 (the lock does not hold the only connection)', async () => {
    const db = await database();
    const ds = await within(open(db.url, 1), BOOT_BOUND_MS);
    expect(ds).not.toBeNull();
    opened.push(ds!);
    const [row] = await ds!.query('SELECT COUNT(*) AS n FROM produk');
    expect(Number(row.n)).toBeGreaterThan(0);
  }, 40_000);

  it("boots while another database's start-up is in the middle of its migrations, and a second start-up on that database waits for it", async () => {
    const busy = await database();
    const other = await database();
    // The first instance on `busy` gets stuck inside its migrations, holding the migration
    // lock: the test write-locks the (TypeORM-shaped) migrations table it reads first.
    const admin = await createConnection({ uri: busy.url, connectTimeout: 5_000 });
    try {
      await admin.query(
        'CREATE TABLE `migrations` (`id` int NOT NULL AUTO_INCREMENT, `timestamp` bigint NOT NULL, `name` varchar(255) NOT NULL, PRIMARY KEY (`id`)) ENGINE=InnoDB',
      );
      await admin.query('LOCK TABLES `migrations` WRITE');
      const stuck = open(busy.url);
      stuck.then((ds) => opened.push(ds), () => undefined);
      const probe = await createConnection({ uri: other.url, connectTimeout: 5_000 });
      try {
        const deadline = Date.now() + BOOT_BOUND_MS;
        while (!(await waitingOnTableLock(probe, busy.url))) {
          if (Date.now() > deadline) throw new Error('the first start-up never reached its migrations');
          await sleep(100);
        }
      } finally {
        await probe.end();
      }

      const second = open(busy.url);
      second.then((ds) => opened.push(ds), () => undefined);
      const unrelated = await within(open(other.url), BOOT_BOUND_MS);
      expect(unrelated).not.toBeNull();
      opened.push(unrelated!);
      // Still serialised per database: the second start-up on `busy` has not finished.
      expect(await within(second, 1_000)).toBeNull();

      await admin.query('UNLOCK TABLES');
      const both = await within(Promise.all([stuck, second]), BOOT_BOUND_MS);
      expect(both).not.toBeNull();
      const [row] = await both![1].query('SELECT COUNT(*) AS n FROM migrations');
      expect(Number(row.n)).toBeGreaterThan(0);
    } finally {
      await admin.end().catch(() => undefined);
    }
  }, 90_000);

  it('takes over the lock of a start-up that died holding it, once its lease has run out', async () => {
    const db = await migratedWithLockHeld('dead-instance', -1);
    const next = await within(open(db.url), BOOT_BOUND_MS);
    expect(next).not.toBeNull();
    opened.push(next!);
    // Released afterwards: the row is gone.
    expect(await next!.query(`SELECT holder FROM \`${MIGRATION_LOCK_TABLE}\``)).toEqual([]);
  }, 40_000);

  it('waits for a live holder and then gives up naming it, without running the work', async () => {
    const { ds } = await migratedWithLockHeld('busy-instance', 60);
    const work = jest.fn(async () => 'ran');
    const attempt = withMigrationLock(ds, work, 1_500);
    await expect(attempt).rejects.toBeInstanceOf(MigrationLockTimeout);
    await expect(attempt).rejects.toThrow(/busy-instance/);
    expect(work).not.toHaveBeenCalled();
  }, 40_000);
});
