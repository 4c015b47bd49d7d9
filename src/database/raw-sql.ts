import type { EntityManager } from 'typeorm';

/**
 * Hand-written SQL for the hot paths (/beli, /status, the processor). On this kind of machine
 * the cost of a request is mostly per-statement CPU in Node, and TypeORM's query builder and
 * entity hydration were a third of it (bench/profile-route.js); these statements are fixed, so
 * they are written once here. Placeholders are `?` on both MySQL/MariaDB and SQLite.
 */

export interface WriteResult {
  affected: number;
  insertId: number;
}

/**
 * Runs one INSERT/UPDATE/DELETE inside `manager`'s transaction and reads what it did. Through
 * TypeORM's structured result: a plain query() of an UPDATE on SQLite returns lastInsertRowid,
 * not the affected rows, which would silently break a conditional update.
 */
export async function execute(manager: EntityManager, sql: string, params: unknown[]): Promise<WriteResult> {
  const runner = manager.queryRunner;
  if (!runner) throw new Error('execute() needs a transaction (run it inside TransactionRunner.run)');
  const result = await runner.query(sql, params, true);
  // mysql2: raw is the result header with insertId; better-sqlite3: raw is lastInsertRowid.
  const raw = result.raw as { insertId?: number | string } | number | bigint | undefined;
  const insertId = typeof raw === 'object' && raw !== null ? Number(raw.insertId ?? 0) : Number(raw ?? 0);
  return { affected: result.affected ?? 0, insertId };
}

/** A DATETIME read by raw SQL: mysql2 gives a Date (timezone 'Z'), better-sqlite3 the UTC text that was stored. */
export function dbTime(value: Date | string): Date {
  return value instanceof Date ? value : new Date(`${value.replace(' ', 'T')}Z`);
}

export function dbTimeOrNull(value: Date | string | null): Date | null {
  return value === null ? null : dbTime(value);
}
