import { setTimeout as sleep } from 'node:timers/promises';
import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { isRetryableTransactionError } from '../common/database-errors';

const MAX_TX_ATTEMPTS = 5;

export type Dialect = 'mysql' | 'sqlite';

/**
 * Runs every write of the service in a database transaction.
 *
 * MySQL/MariaDB: a deadlock (1213) or lock-wait timeout (1205) rolls the transaction back
 * (TypeORM's `transaction()` rolls back on any error before rethrowing) and the whole unit of
 * work is retried with jittered exponential backoff.
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
  /** Retried deadlocks / lock-wait timeouts since boot. */
  retries = 0;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
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

  private async runWithRetry<T>(work: (manager: EntityManager) => Promise<T>, isolation?: 'READ COMMITTED'): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return isolation ? await this.dataSource.transaction(isolation, work) : await this.dataSource.transaction(work);
      } catch (err) {
        if (attempt >= MAX_TX_ATTEMPTS || !isRetryableTransactionError(err)) throw err;
        this.retries++;
        const delayMs = Math.round((2 ** attempt * 5) * (0.5 + Math.random()));
        this.logger.warn(`transaction retry ${attempt}/${MAX_TX_ATTEMPTS - 1} after ${(err as Error).message} (in ${delayMs} ms)`);
        await sleep(delayMs);
      }
    }
  }
}
