import { setTimeout as sleep } from 'node:timers/promises';
import { Injectable } from '@nestjs/common';
import { AppClock } from '../common/app-clock';
import { isDeadlock, isDuplicateKey, isRetryableTransactionError } from '../common/database-errors';
import { execute } from '../database/raw-sql';
import { sqlDateTime } from '../database/sql-time';
import { TransactionRunner } from '../database/transaction-runner';
import { MetricsService } from '../metrics/metrics.service';
import { SIGNATURE_WINDOW_S } from './request-signature';

/** Kept past the timestamp window both ways, so a nonce cannot come back while its timestamp is valid. */
const NONCE_TTL_MS = 2 * SIGNATURE_WINDOW_S * 1000 + 60_000;
/** Nonces written by one statement at most. */
const MAX_BATCH = 200;
/**
 * Statements in flight at once; the claims that arrive meanwhile wait and share the next one.
 * One: npm run bench measured 15.6 nonces per INSERT against 7.1 with two, and each row costs
 * the database far less in a shared statement (about 16 µs of MariaDB CPU at 20 a statement,
 * 75 µs alone, on the bench machine).
 */
const MAX_IN_FLIGHT = 1;
/** A claim alone is tried this often when it is a deadlock's victim (detected at once, so cheap). */
const MAX_ALONE_ATTEMPTS = 3;

interface Claim {
  userId: number;
  nonce: string;
  resolve(fresh: boolean): void;
  reject(err: unknown): void;
}

/**
 * The request_nonce table: each (user, nonce) is accepted once, decided by the primary key.
 *
 * Claims are written in batches, the way /beli's group commit writes purchases: a lone claim
 * is written at once, and the claims that arrive while a statement is out share the next
 * multi-row INSERT. That statement is atomic on both engines: a duplicate anywhere in it
 * writes none of its rows, and then each claim of that batch is inserted on its own, so a
 * replay costs its neighbours one more round trip and never their answer. A signed request
 * therefore costs a share of a statement, not a statement of its own.
 */
@Injectable()
export class RequestNonceRepository {
  private readonly queue: Claim[] = [];
  private inFlight = 0;

  constructor(
    private readonly tx: TransactionRunner,
    private readonly clock: AppClock,
    private readonly metrics: MetricsService,
  ) {}

  /**
   * True when the nonce is new for this user. A unique insert, not a lookup: two instances
   * receiving the same replay at the same moment cannot both accept it.
   */
  claim(userId: number, nonce: string): Promise<boolean> {
    this.metrics.nonceClaims.inc();
    return new Promise((resolve, reject) => {
      this.queue.push({ userId, nonce, resolve, reject });
      this.pump();
    });
  }

  /** Deletes nonces whose window has passed; returns how many. */
  async purge(): Promise<number> {
    const { affected } = await this.tx.run((m) => execute(m, 'DELETE FROM request_nonce WHERE expires_at < ?', [sqlDateTime(this.clock.now())]));
    return affected;
  }

  private pump(): void {
    while (this.inFlight < MAX_IN_FLIGHT && this.queue.length > 0) {
      const batch = this.queue.splice(0, MAX_BATCH);
      this.inFlight++;
      // write() settles every claim of its batch; should it throw anyway, none is left hanging.
      void this.write(batch).catch((err: unknown) => batch.forEach((claim) => claim.reject(err))).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
  }

  private async write(batch: Claim[]): Promise<void> {
    // The same nonce twice in one batch is a replay of itself: the first copy decides, the
    // others are refused (or fail with it).
    const first = new Map<string, Claim>();
    const repeats: Array<{ repeat: Claim; of: Claim }> = [];
    for (const claim of batch) {
      const key = `${claim.userId}:${claim.nonce}`;
      const of = first.get(key);
      if (of) repeats.push({ repeat: claim, of });
      else first.set(key, claim);
    }
    const claims = [...first.values()];
    const outcome = new Map<Claim, { fresh: boolean } | { err: unknown }>();
    const expires = sqlDateTime(new Date(this.clock.now().getTime() + NONCE_TTL_MS));
    try {
      await this.insert(claims, expires);
      for (const claim of claims) outcome.set(claim, { fresh: true });
    } catch (err) {
      if (claims.length > 1 && !isDuplicateKey(err) && !isRetryableTransactionError(err)) {
        // The database is away or refused the statement: every claim of it fails (a 503), as alone.
        for (const claim of claims) outcome.set(claim, { err });
      } else if (claims.length === 1 && !isDeadlock(err)) {
        outcome.set(claims[0], isDuplicateKey(err) ? { fresh: false } : { err });
      } else {
        // Nothing of the batch was written (a duplicate, or a deadlock such as a Galera
        // certification conflict): each claim alone finds out whether it is the replay.
        await Promise.all(claims.map(async (claim) => outcome.set(claim, await this.insertAlone(claim, expires))));
      }
    }
    for (const claim of claims) settle(claim, outcome.get(claim)!);
    for (const { repeat, of } of repeats) {
      const decided = outcome.get(of)!;
      settle(repeat, 'err' in decided ? decided : { fresh: false });
    }
  }

  /**
   * One claim in a statement of its own. A deadlock is retried: InnoDB makes one when a row two
   * claims wait on goes away (here, a batch of another instance undone by a duplicate further
   * on; the manual's "Locks Set by Different SQL Statements", INSERT): both get the shared lock,
   * both want the exclusive one, and the victim answered 500. Tried again, the key decides.
   */
  private async insertAlone(claim: Claim, expires: string): Promise<{ fresh: boolean } | { err: unknown }> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.insert([claim], expires);
        return { fresh: true };
      } catch (err) {
        if (isDuplicateKey(err)) return { fresh: false };
        // Not a lock-wait timeout (1205): that one has already waited its 50 s, and the queue with it.
        if (!isDeadlock(err) || attempt >= MAX_ALONE_ATTEMPTS) return { err };
        await sleep(Math.random() * 5 * attempt);
      }
    }
  }

  private insert(claims: Claim[], expires: string): Promise<unknown> {
    const rows = claims.map(() => '(?, ?, ?)').join(', ');
    const params = claims.flatMap((c) => [c.userId, c.nonce, expires]);
    this.metrics.nonceStatements.inc();
    return this.tx.autocommit((m) => m.query(`INSERT INTO request_nonce (user_id, nonce, expires_at) VALUES ${rows}`, params));
  }
}

function settle(claim: Claim, outcome: { fresh: boolean } | { err: unknown }): void {
  if ('err' in outcome) claim.reject(outcome.err);
  else claim.resolve(outcome.fresh);
}
