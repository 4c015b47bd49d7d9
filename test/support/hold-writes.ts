import { setTimeout as sleep } from 'node:timers/promises';
import { createConnection } from 'mysql2/promise';
import { TransactionRunner } from '../../src/database/transaction-runner';
import type { TestApp } from './test-app';

/** How long answeredWhileHeld() holds the writes: longer than the specs' REQUEST_TIMEOUT_MS. */
export const HOLD_MS = 2_500;

/**
 * Holds up every write that needs a users row, from outside: on MySQL another connection locks
 * every users row (and, under REPEATABLE READ, the gap where a new one would go); on SQLite a
 * transaction holds the app's one connection. Returns the release.
 */
export async function holdUserWrites(t: TestApp): Promise<() => Promise<void>> {
  if (t.db.engine === 'mysql') {
    const connection = await createConnection({ uri: t.db.url });
    await connection.query('START TRANSACTION');
    await connection.query('SELECT id FROM users FOR UPDATE');
    return async () => {
      await connection.query('ROLLBACK');
      await connection.end();
    };
  }
  let release: (() => void) | undefined;
  const held = t.app.get(TransactionRunner).run(() => new Promise<void>((resolve) => (release = resolve)));
  while (!release) await sleep(5);
  return async () => {
    release!();
    await held;
  };
}

/** Holds the writes, sends the request, lets the writes go after HOLD_MS, and waits for any late work. */
export async function answeredWhileHeld<T>(t: TestApp, request: () => Promise<T>): Promise<T> {
  const release = await holdUserWrites(t);
  const released = sleep(HOLD_MS).then(release);
  const res = await request();
  await released;
  await sleep(500);
  return res;
}
