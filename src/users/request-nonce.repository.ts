import { Injectable } from '@nestjs/common';
import { AppClock } from '../common/app-clock';
import { isDuplicateKey } from '../common/database-errors';
import { execute } from '../database/raw-sql';
import { sqlDateTime } from '../database/sql-time';
import { TransactionRunner } from '../database/transaction-runner';
import { SIGNATURE_WINDOW_S } from './request-signature';

/** Kept past the timestamp window both ways, so a nonce cannot come back while its timestamp is valid. */
const NONCE_TTL_MS = 2 * SIGNATURE_WINDOW_S * 1000 + 60_000;

/** The request_nonce table: each (user, nonce) is accepted once, decided by the primary key. */
@Injectable()
export class RequestNonceRepository {
  constructor(
    private readonly tx: TransactionRunner,
    private readonly clock: AppClock,
  ) {}

  /**
   * True when the nonce is new for this user. A unique insert, not a lookup: two instances
   * receiving the same replay at the same moment cannot both accept it.
   */
  async claim(userId: number, nonce: string): Promise<boolean> {
    const expires = sqlDateTime(new Date(this.clock.now().getTime() + NONCE_TTL_MS));
    try {
      await this.tx.autocommit((m) => m.query('INSERT INTO request_nonce (user_id, nonce, expires_at) VALUES (?, ?, ?)', [userId, nonce, expires]));
      return true;
    } catch (err) {
      if (isDuplicateKey(err)) return false;
      throw err;
    }
  }

  /** Deletes nonces whose window has passed; returns how many. */
  async purge(): Promise<number> {
    const { affected } = await this.tx.run((m) => execute(m, 'DELETE FROM request_nonce WHERE expires_at < ?', [sqlDateTime(this.clock.now())]));
    return affected;
  }
}
