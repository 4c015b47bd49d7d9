import { setTimeout as sleep } from 'node:timers/promises';
import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { isDeadlock, isRetryableTransactionError } from '../common/database-errors';
import { MetricsService } from '../metrics/metrics.service';

const MAX_TX_ATTEMPTS = 5;

export type Dialect = 'mysql' | 'sqlite';

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
 * therefore queued and run one at a time in this process.
 */
@Injectable()
export class TransactionRunner {
  private readonly logger = new Logger(TransactionRunner.name);
  private sqliteTail: Promise<unknown> = Promise.resolve();
  readonly dialect: Dialect;
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly metrics: MetricsService,
  ) {
    this.dialect = dataSource.options.type === 'mysql' ? 'mysql' : 'sqlite';
  }

  run<T>(work: (manager: EntityManager) => Promise<T>, isolation?: 'READ COMMITTED'): Promise<T> {
    if (this.dialect === 'sqlite') {
      const result = this.sqliteTail.then(() => this.dataSource.transaction(work));
      this.sqliteTail = result.catch(() => undefined);
      return result;
    }
    return this.runWithRetry(work, isolation);
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
