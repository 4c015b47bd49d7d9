import { AsyncLocalStorage } from 'node:async_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { isDeadlock, isRetryableTransactionError } from '../common/database-errors';
import type { RequestDeadline } from '../http/request-deadline';
import { MetricsService } from '../metrics/metrics.service';

const MAX_TX_ATTEMPTS = 5;

export type Dialect = 'mysql' | 'sqlite';

export interface RunOptions {
  isolation?: 'READ COMMITTED';
  deadline?: RequestDeadline;
}

/**
 * Runs every write of the service in a database transaction.
 *
 * MySQL/MariaDB: on a deadlock (1213) or lock-wait timeout (1205) the whole unit of work is
 * retried with jittered exponential backoff. InnoDB rolls back the whole transaction on 1213 but
 * only the failed statement on 1205; TypeORM's `transaction()` issues an explicit ROLLBACK on any
 * error before rethrowing, so the retry always starts from a clean connection. Both are counted
 * in ppob_db_transaction_retries_total.
 *
 * SQLite: TypeORM's better-sqlite3 driver hands every caller the same single connection, so two
 * interleaved async transactions would silently nest as savepoints of one another. Writes are
 * therefore queued and run one at a time in this process. Reads share that connection too, and
 * a read issued while a transaction is open would see its uncommitted writes (a saldo debited by
 * a purchase that then rolls back). So every query that does not belong to the open transaction
 * waits until it has ended (installSqliteReadGate); a transaction's own queries are told apart
 * by an AsyncLocalStorage token set around it. better-sqlite3 runs each statement synchronously,
 * so a read that starts between transactions sees committed data only.
 *
 * Given a request's deadline (every write a route makes passes one), a transaction neither starts
 * nor commits once that deadline has answered 503 (see RequestDeadline): the work is rolled back,
 * so the 503 committed nothing.
 */
@Injectable()
export class TransactionRunner {
  private readonly logger = new Logger(TransactionRunner.name);
  private sqliteTail: Promise<unknown> = Promise.resolve();
  /** The SQLite transaction running now, and a promise that settles when it has ended. */
  private sqliteOpen: { token: symbol; ended: Promise<void> } | null = null;
  private readonly sqliteScope = new AsyncLocalStorage<symbol>();
  readonly dialect: Dialect;
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly metrics: MetricsService,
  ) {
    this.dialect = dataSource.options.type === 'mysql' ? 'mysql' : 'sqlite';
    if (this.dialect === 'sqlite') this.installSqliteReadGate();
  }

  run<T>(work: (manager: EntityManager) => Promise<T>, options: 'READ COMMITTED' | RunOptions = {}): Promise<T> {
    const { isolation, deadline } = typeof options === 'string' ? { isolation: options, deadline: undefined } : options;
    return withDeadline(work, deadline, (gated) => {
      if (this.dialect === 'sqlite') {
        const result = this.sqliteTail.then(() => this.runSqlite(gated));
        this.sqliteTail = result.catch(() => undefined);
        return result;
      }
      return this.runWithRetry(gated, isolation);
    });
  }

  private async runSqlite<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    const token = Symbol('sqlite-transaction');
    let ended!: () => void;
    this.sqliteOpen = { token, ended: new Promise<void>((resolve) => (ended = resolve)) };
    try {
      return await this.sqliteScope.run(token, () => this.dataSource.transaction(work));
    } finally {
      this.sqliteOpen = null;
      ended();
    }
  }

  /**
   * TypeORM's better-sqlite3 driver has one query runner for everyone; every query (repository
   * finds included) goes through its query(). A query from outside the open transaction waits.
   */
  private installSqliteReadGate(): void {
    const runner = this.dataSource.driver.createQueryRunner('master');
    const query = runner.query.bind(runner) as (...args: unknown[]) => Promise<unknown>;
    (runner as { query: (...args: unknown[]) => Promise<unknown> }).query = async (...args: unknown[]) => {
      while (this.sqliteOpen && this.sqliteScope.getStore() !== this.sqliteOpen.token) await this.sqliteOpen.ended;
      return query(...args);
    };
  }

  /**
   * Reads outside any transaction (MySQL: any pooled connection; SQLite: the shared one, after
   * the open transaction has ended, see installSqliteReadGate).
   */
  read<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return work(this.dataSource.manager);
  }

  /**
   * One self-contained statement that needs no transaction of its own (MySQL autocommits it, one
   * round trip instead of BEGIN/statement/COMMIT). On SQLite it still waits its turn in the
   * write queue, so it never lands inside another caller's open transaction.
   */
  autocommit<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    if (this.dialect === 'sqlite') return this.run(work);
    return work(this.dataSource.manager);
  }

  private async runWithRetry<T>(work: (manager: EntityManager) => Promise<T>, isolation?: 'READ COMMITTED'): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return isolation ? await this.dataSource.transaction(isolation, work) : await this.dataSource.transaction(work);
      } catch (err) {
        if (!isRetryableTransactionError(err)) throw err;
        const deadlock = isDeadlock(err);
        if (deadlock) this.metrics.deadlocks.inc();
        if (attempt >= MAX_TX_ATTEMPTS) throw err;
        this.metrics.txRetries.inc({ reason: deadlock ? 'deadlock' : 'lock_wait_timeout' });
        const delayMs = Math.round((2 ** attempt * 5) * (0.5 + Math.random()));
        this.logger.warn(`transaction retry ${attempt}/${MAX_TX_ATTEMPTS - 1} after ${(err as Error).message} (in ${delayMs} ms)`);
        await sleep(delayMs);
      }
    }
  }
}

/**
 * With a request's deadline: refuses to start once it has answered, and checks again just before
 * COMMIT (throwing there rolls the transaction back). From then until the transaction has ended
 * (a deadlock retry included) the deadline holds its 503.
 */
function withDeadline<T>(
  work: (manager: EntityManager) => Promise<T>,
  deadline: RequestDeadline | undefined,
  execute: (work: (manager: EntityManager) => Promise<T>) => Promise<T>,
): Promise<T> {
  if (!deadline) return execute(work);
  let committing = false;
  const gated = async (manager: EntityManager) => {
    deadline.assertOpen();
    const result = await work(manager);
    if (!committing) {
      deadline.beginCommit();
      committing = true;
    }
    return result;
  };
  return execute(gated).finally(() => {
    if (committing) deadline.endCommit();
  });
}
