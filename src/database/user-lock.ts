import type { EntityManager } from 'typeorm';
import type { Dialect } from './transaction-runner';

/**
 * Takes the write lock on a user's row before anything else in the transaction, for a write
 * that changes a child row of that user and then the balance (a deposit confirmation, a manual
 * settlement).
 *
 * Why first: InnoDB checks a foreign key again whenever an UPDATE rewrites a secondary index
 * entry that contains the key's column, e.g. `UPDATE deposit SET status = ...` rewrites
 * (user_id, status, id), and that check takes a SHARED lock on the users row. The balance UPDATE
 * that follows then needs to upgrade it to exclusive; two such transactions for one user each
 * hold the shared lock and wait for the other: a deadlock on every busy minute (seen in
 * test/operator-money.e2e-spec.ts, SHOW ENGINE INNODB STATUS: "lock mode S locks rec but not gap"
 * against "lock_mode X ... waiting"). Worse, a plain balance write queued behind both (an
 * adjustment, a purchase) closes the cycle too and is the lightest victim, again and again.
 *
 * SQLite has no row locks; TransactionRunner runs its writes one at a time.
 */
export async function lockUserRow(manager: EntityManager, dialect: Dialect, userId: number): Promise<void> {
  if (dialect === 'mysql') await manager.query('SELECT id FROM users WHERE id = ? FOR UPDATE', [userId]);
}
