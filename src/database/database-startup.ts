import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DataSource, DataSourceOptions } from 'typeorm';
import { MigrationLockTimeout, withMigrationLock } from './migration-lock';

/** A database problem at boot. main.ts prints its message as one line and exits 1. */
export class DatabaseStartupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatabaseStartupError';
  }
}

/**
 * Connects, refuses servers without a working SKIP LOCKED, and runs pending migrations.
 * Used by the Nest app at boot and by the test helpers.
 */
export async function initDataSource(options: DataSourceOptions): Promise<DataSource> {
  if (options.type === 'better-sqlite3' && options.database !== ':memory:') {
    mkdirSync(dirname(options.database), { recursive: true });
  }
  if (options.type === 'mysql') {
    // Checks and migrations on a short-lived pool of their own with two connections, one for the
    // migrations and one for renewing the lock, whatever DATABASE_POOL_SIZE is: with the app's
    // pool of one, the lock and the migrations waited for each other forever (issue 8).
    const migrator = await connect({ ...options, poolSize: 2 });
    try {
      await assertSupportedServer(migrator);
      await runMigrationsLocked(migrator);
    } finally {
      await migrator.destroy().catch(() => undefined);
    }
    return connect(options);
  }
  const dataSource = await connect(options);
  try {
    // SQLite serialises writers itself: no lock.
    await dataSource.runMigrations({ transaction: 'each' });
  } catch (err) {
    await dataSource.destroy().catch(() => undefined);
    throw err;
  }
  return dataSource;
}

async function connect(options: DataSourceOptions): Promise<DataSource> {
  const dataSource = new DataSource(options);
  try {
    await dataSource.initialize();
  } catch (err) {
    throw new DatabaseStartupError(`Cannot connect to the database (${describeTarget(options)}): ${(err as Error).message}`);
  }
  return dataSource;
}

function describeTarget(options: DataSourceOptions): string {
  if (options.type === 'better-sqlite3') return `sqlite file ${options.database}`;
  if (options.type === 'mysql' && options.url) {
    const url = new URL(options.url);
    return `mysql ${url.hostname}:${url.port || 3306}${url.pathname}`;
  }
  return options.type;
}

export function parseServerVersion(version: string): { engine: 'mysql' | 'mariadb' | 'tidb'; major: number; minor: number; patch: number } {
  const engine = /tidb/i.test(version) ? 'tidb' : /mariadb/i.test(version) ? 'mariadb' : 'mysql';
  const [major = 0, minor = 0, patch = 0] = (/(\d+)\.(\d+)\.(\d+)/.exec(version.replace(/^5\.5\.5-/, '')) ?? [])
    .slice(1)
    .map(Number);
  return { engine, major, minor, patch };
}

/** The processor's claim needs FOR UPDATE SKIP LOCKED: MySQL 8.0.1+ or MariaDB 10.6+. */
export function checkServerVersion(version: string): string | null {
  const v = parseServerVersion(version);
  const at = (a: number, b: number, c: number) => v.major * 1e6 + v.minor * 1e3 + v.patch >= a * 1e6 + b * 1e3 + c;
  if (v.engine === 'tidb') {
    return `TiDB (${version}) is not supported: it accepts SKIP LOCKED but does not honour it, so two instances could execute the same purchase`;
  }
  if (v.engine === 'mariadb' && !at(10, 6, 0)) {
    return `MariaDB ${version} is too old: SKIP LOCKED needs MariaDB 10.6 or newer`;
  }
  if (v.engine === 'mysql' && !at(8, 0, 1)) {
    return `MySQL ${version} is too old: SKIP LOCKED needs MySQL 8.0.1 or newer`;
  }
  return null;
}

async function assertSupportedServer(dataSource: DataSource): Promise<void> {
  const rows: Array<{ v: string }> = await dataSource.query('SELECT VERSION() AS v');
  const problem = checkServerVersion(String(rows[0]?.v ?? ''));
  if (problem) throw new DatabaseStartupError(problem);
}

/** Several instances may boot at once against one database; see migration-lock.ts. */
async function runMigrationsLocked(dataSource: DataSource): Promise<void> {
  try {
    await withMigrationLock(dataSource, () => dataSource.runMigrations({ transaction: 'each' }));
  } catch (err) {
    if (err instanceof MigrationLockTimeout) throw new DatabaseStartupError(err.message);
    throw err;
  }
}
