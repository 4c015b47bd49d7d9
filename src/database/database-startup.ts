import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DataSource, DataSourceOptions } from 'typeorm';

/** A database problem at boot. main.ts prints its message as one line and exits 1. */
export class DatabaseStartupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatabaseStartupError';
  }
}

const MIGRATION_LOCK = 'ppob_api_migrations';

/**
 * Connects, refuses servers without a working SKIP LOCKED, and runs pending migrations.
 * Used by the Nest app at boot and by the test helpers.
 */
export async function initDataSource(options: DataSourceOptions): Promise<DataSource> {
  if (options.type === 'better-sqlite3' && options.database !== ':memory:') {
    mkdirSync(dirname(options.database), { recursive: true });
  }
  const dataSource = new DataSource(options);
  try {
    await dataSource.initialize();
  } catch (err) {
    throw new DatabaseStartupError(`Cannot connect to the database (${describeTarget(options)}): ${(err as Error).message}`);
  }
  try {
    if (options.type === 'mysql') await assertSupportedServer(dataSource);
    await runMigrationsLocked(dataSource);
  } catch (err) {
    await dataSource.destroy().catch(() => undefined);
    throw err;
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

/**
 * Several instances may boot at once against one MySQL database; a named lock makes them run
 * the migrations one after the other instead of racing to create the same tables.
 * (SQLite serialises writers itself.)
 */
async function runMigrationsLocked(dataSource: DataSource): Promise<void> {
  if (dataSource.options.type !== 'mysql') {
    await dataSource.runMigrations({ transaction: 'each' });
    return;
  }
  const lockRunner = dataSource.createQueryRunner();
  try {
    const [row] = await lockRunner.query('SELECT GET_LOCK(?, 120) AS got', [MIGRATION_LOCK]);
    if (Number(row?.got) !== 1) throw new DatabaseStartupError('Timed out waiting for another instance to finish migrations');
    try {
      await dataSource.runMigrations({ transaction: 'each' });
    } finally {
      await lockRunner.query('SELECT RELEASE_LOCK(?)', [MIGRATION_LOCK]);
    }
  } finally {
    await lockRunner.release();
  }
}
