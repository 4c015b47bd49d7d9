import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AppClock } from '../common/app-clock';
import { dbTime, dbTimeOrNull, execute } from '../database/raw-sql';
import { DIALECT_SQL, DialectSql, sqlDateTime } from '../database/sql-time';
import { TransactionRunner } from '../database/transaction-runner';
import type { RequestDeadline } from '../http/request-deadline';

export type CallbackEventStatus = 'pending' | 'sending' | 'sukses' | 'gagal';
export const CALLBACK_EVENT_STATUSES: readonly CallbackEventStatus[] = ['pending', 'sending', 'sukses', 'gagal'];

export interface CallbackEndpointRow {
  userId: number;
  url: string;
  secretEnc: string;
  oldSecretEnc: string | null;
  oldSecretUntil: Date | null;
}

export interface CallbackEvent {
  id: number;
  msgId: string;
  userId: number;
  transaksiId: number | null;
  type: string;
  payload: string;
  url: string;
  status: CallbackEventStatus;
  attempts: number;
  nextAt: Date;
  lastStatusCode: number | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface CallbackAttempt {
  id: number;
  eventId: number;
  attempt: number;
  statusCode: number | null;
  durationMs: number;
  responseBody: string | null;
  error: string | null;
  waktu: Date;
}

/** An event to put in the outbox, inside the caller's transaction. */
export interface NewCallbackEvent {
  userId: number;
  transaksiId: number | null;
  type: string;
  /** Everything but the timestamp, which is the event's creation time. */
  data: Record<string, unknown>;
  url: string;
}

/** What one delivery attempt ended with; `next` says what becomes of the event. */
export interface AttemptResult {
  event: CallbackEvent;
  statusCode: number | null;
  durationMs: number;
  responseBody: string | null;
  error: string | null;
  next: { status: 'sukses' | 'gagal' } | { status: 'pending'; retryInMs: number };
}

const EVENT_COLUMNS = 'id, msg_id, user_id, transaksi_id, type, payload, url, status, attempts, next_at, last_status_code, created_at, updated_at';

/**
 * Every statement on callback_endpoint, callback_event (the outbox, which is also each event's
 * delivery state) and callback_attempt, for both dialects. The claim follows the purchases':
 * FOR UPDATE SKIP LOCKED on MySQL/MariaDB, one UPDATE ... RETURNING on SQLite; every write after
 * it is fenced on locked_by, so an instance that lost its lease writes nothing.
 */
@Injectable()
export class CallbackRepository {
  private readonly sql: DialectSql;

  constructor(
    private readonly tx: TransactionRunner,
    private readonly clock: AppClock,
  ) {
    this.sql = DIALECT_SQL[tx.dialect];
  }

  async findEndpoint(userId: number): Promise<CallbackEndpointRow | null> {
    const [row] = await this.tx.read((m) => m.query('SELECT * FROM callback_endpoint WHERE user_id = ?', [userId]));
    return row ? endpointFromRow(row) : null;
  }

  /** The endpoints of these users (the dispatcher signs a batch with them). */
  async findEndpoints(userIds: readonly number[]): Promise<Map<number, CallbackEndpointRow>> {
    if (userIds.length === 0) return new Map();
    const rows: Record<string, unknown>[] = await this.tx.read((m) => m.query(`SELECT * FROM callback_endpoint WHERE user_id IN (${marks(userIds)})`, [...userIds]));
    return new Map(rows.map((r) => [Number(r.user_id), endpointFromRow(r)]));
  }

  /**
   * Sets the url and a new secret; the previous secret (if any) keeps signing until `oldUntil`,
   * so the reseller's receiver can switch without dropping events.
   */
  async saveEndpoint(userId: number, url: string | null, secretEnc: string, oldUntil: Date, deadline?: RequestDeadline): Promise<boolean> {
    const now = sqlDateTime(this.clock.now());
    return this.tx.run(async (manager) => {
      const { affected } = await execute(
        manager,
        `UPDATE callback_endpoint SET url = COALESCE(?, url), old_secret_enc = secret_enc, old_secret_until = ?, secret_enc = ?, updated_at = ? WHERE user_id = ?`,
        [url, sqlDateTime(oldUntil), secretEnc, now, userId],
      );
      if (affected === 1) return true;
      if (url === null) return false;
      await execute(manager, 'INSERT INTO callback_endpoint (user_id, url, secret_enc, created_at, updated_at) VALUES (?, ?, ?, ?, ?)', [userId, url, secretEnc, now, now]);
      return true;
    }, { deadline });
  }

  async deleteEndpoint(userId: number, deadline?: RequestDeadline): Promise<boolean> {
    const { affected } = await this.tx.run((m) => execute(m, 'DELETE FROM callback_endpoint WHERE user_id = ?', [userId]), { deadline });
    return affected === 1;
  }

  /**
   * The outbox: writes events inside `manager`'s transaction (the one that writes the status
   * they announce), so a crash either keeps both or neither.
   */
  async insertEvents(manager: EntityManager, events: readonly NewCallbackEvent[]): Promise<void> {
    if (events.length === 0) return;
    const now = this.clock.now();
    const at = sqlDateTime(now);
    const params: unknown[] = [];
    for (const e of events) {
      const payload = JSON.stringify({ type: e.type, timestamp: now.toISOString(), data: e.data });
      params.push(newMsgId(), e.userId, e.transaksiId, e.type, payload, e.url, at, at, at);
    }
    await manager.query(
      `INSERT INTO callback_event (msg_id, user_id, transaksi_id, type, payload, url, status, attempts, next_at, created_at, updated_at)
       VALUES ${events.map(() => "(?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?)").join(', ')}`,
      params,
    );
  }

  /** Endpoint urls of these users, read inside the settling transaction. */
  async endpointUrls(manager: EntityManager, userIds: readonly number[]): Promise<Map<number, string>> {
    if (userIds.length === 0) return new Map();
    const rows: Array<{ user_id: number | string; url: string }> = await manager.query(`SELECT user_id, url FROM callback_endpoint WHERE user_id IN (${marks(userIds)})`, [...userIds]);
    return new Map(rows.map((r) => [Number(r.user_id), r.url]));
  }

  /**
   * Claims up to `limit` due events: expired leases first (an instance died mid-delivery), then
   * pending ones whose time has come. They become `sending` with a lease, attempts + 1.
   */
  claimDue(instanceId: string, limit: number, leaseMs: number): Promise<CallbackEvent[]> {
    const now = sqlDateTime(this.clock.now());
    if (this.tx.dialect === 'sqlite') {
      return this.tx.run(async (manager) => {
        const rows: Record<string, unknown>[] = await manager.query(
          `UPDATE callback_event SET status = 'sending', locked_by = ?, locked_until = ${this.sql.nowPlus}, attempts = attempts + 1, updated_at = ?
           WHERE id IN (
             SELECT id FROM callback_event
             WHERE (status = 'pending' AND next_at <= ${this.sql.now}) OR (status = 'sending' AND locked_until < ${this.sql.now})
             ORDER BY id LIMIT ?
           )
           RETURNING ${EVENT_COLUMNS}`,
          [instanceId, this.sql.interval(leaseMs), now, limit],
        );
        return rows.map(eventFromRow);
      });
    }
    // READ COMMITTED and the bare table with LIMIT, as the purchase claim (see TransaksiRepository).
    return this.tx.run(async (manager) => {
      const rows: Record<string, unknown>[] = await manager.query(
        `SELECT ${EVENT_COLUMNS} FROM callback_event WHERE status = 'sending' AND locked_until < UTC_TIMESTAMP(3) ORDER BY locked_until LIMIT ? FOR UPDATE SKIP LOCKED`,
        [limit],
      );
      if (rows.length < limit) {
        rows.push(
          ...(await manager.query(
            `SELECT ${EVENT_COLUMNS} FROM callback_event WHERE status = 'pending' AND next_at <= UTC_TIMESTAMP(3) ORDER BY next_at LIMIT ? FOR UPDATE SKIP LOCKED`,
            [limit - rows.length],
          )),
        );
      }
      if (rows.length === 0) return [];
      await manager.query(
        `UPDATE callback_event SET status = 'sending', locked_by = ?, locked_until = ${this.sql.nowPlus}, attempts = attempts + 1, updated_at = ? WHERE id IN (${marks(rows)})`,
        [instanceId, this.sql.interval(leaseMs), now, ...rows.map((r) => r.id)],
      );
      return rows.map((r) => eventFromRow({ ...r, status: 'sending', attempts: Number(r.attempts) + 1 }));
    }, 'READ COMMITTED');
  }

  /**
   * Records the attempts and moves each event on, in one transaction (a group commit: the
   * drain rate of a backlog is bound by commits, not by HTTP). Fenced: an event another
   * instance has taken back is left alone, but its attempt is still recorded, since it happened.
   */
  complete(instanceId: string, results: readonly AttemptResult[]): Promise<void> {
    if (results.length === 0) return Promise.resolve();
    const now = sqlDateTime(this.clock.now());
    return this.tx.run(async (manager) => {
      const params: unknown[] = [];
      for (const r of results) {
        params.push(r.event.id, r.event.userId, r.event.attempts, r.statusCode, Math.round(r.durationMs), r.responseBody, r.error?.slice(0, 255) ?? null, instanceId, now);
      }
      await manager.query(
        `INSERT INTO callback_attempt (event_id, user_id, attempt, status_code, duration_ms, response_body, error, instance_id, waktu)
         VALUES ${results.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`,
        params,
      );
      const done = results.filter((r) => r.next.status === 'sukses');
      if (done.length > 0) {
        await manager.query(
          `UPDATE callback_event SET status = 'sukses', locked_by = NULL, locked_until = NULL, last_status_code = CASE id ${done.map(() => 'WHEN ? THEN ?').join(' ')} END, updated_at = ?
           WHERE id IN (${marks(done)}) AND locked_by = ? AND status = 'sending'`,
          [...done.flatMap((r) => [r.event.id, r.statusCode]), now, ...done.map((r) => r.event.id), instanceId],
        );
      }
      for (const r of results) {
        if (r.next.status === 'sukses') continue;
        const retryInMs = r.next.status === 'pending' ? r.next.retryInMs : 0;
        await manager.query(
          `UPDATE callback_event SET status = ?, next_at = ${this.sql.nowPlus}, locked_by = NULL, locked_until = NULL, last_status_code = ?, updated_at = ?
           WHERE id = ? AND locked_by = ? AND status = 'sending'`,
          [r.next.status, this.sql.interval(retryInMs), r.statusCode, now, r.event.id, instanceId],
        );
      }
    });
  }

  /** Hands claimed events that were never sent back (shutdown), attempt uncounted. */
  async release(instanceId: string, ids: readonly number[]): Promise<void> {
    if (ids.length === 0) return;
    await this.tx.run((m) =>
      m.query(`UPDATE callback_event SET status = 'pending', locked_by = NULL, locked_until = NULL, attempts = attempts - 1 WHERE id IN (${marks(ids)}) AND locked_by = ? AND status = 'sending'`, [...ids, instanceId]),
    );
  }

  /** The user's events, newest first, with their attempts. */
  async listForUser(userId: number, filter: { transaksiId?: number; status?: CallbackEventStatus; limit: number; beforeId?: number }): Promise<Array<CallbackEvent & { attemptRows: CallbackAttempt[] }>> {
    const where = ['user_id = ?'];
    const params: unknown[] = [userId];
    if (filter.transaksiId !== undefined) (where.push('transaksi_id = ?'), params.push(filter.transaksiId));
    if (filter.status !== undefined) (where.push('status = ?'), params.push(filter.status));
    if (filter.beforeId !== undefined) (where.push('id < ?'), params.push(filter.beforeId));
    return this.tx.read(async (manager) => {
      const rows: Record<string, unknown>[] = await manager.query(`SELECT ${EVENT_COLUMNS} FROM callback_event WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT ?`, [...params, filter.limit]);
      const events = rows.map(eventFromRow);
      if (events.length === 0) return [];
      const attempts: Record<string, unknown>[] = await manager.query(
        `SELECT id, event_id, attempt, status_code, duration_ms, response_body, error, waktu FROM callback_attempt WHERE event_id IN (${marks(events)}) ORDER BY id`,
        events.map((e) => e.id),
      );
      const byEvent = new Map<number, CallbackAttempt[]>();
      for (const a of attempts.map(attemptFromRow)) byEvent.set(a.eventId, [...(byEvent.get(a.eventId) ?? []), a]);
      return events.map((e) => ({ ...e, attemptRows: byEvent.get(e.id) ?? [] }));
    });
  }

  /**
   * Makes one of the user's events due now for another attempt. An event being sent right now
   * is left alone (`in-progress`), so a redelivery never runs beside a delivery.
   */
  async redeliver(userId: number, eventId: number, deadline?: RequestDeadline): Promise<'ok' | 'in-progress' | 'not-found'> {
    const now = sqlDateTime(this.clock.now());
    return this.tx.run(async (manager) => {
      const { affected } = await execute(
        manager,
        `UPDATE callback_event SET status = 'pending', next_at = ?, updated_at = ? WHERE id = ? AND user_id = ? AND status <> 'sending'`,
        [now, now, eventId, userId],
      );
      if (affected === 1) return 'ok';
      const [row] = await manager.query('SELECT status FROM callback_event WHERE id = ? AND user_id = ?', [eventId, userId]);
      return row ? 'in-progress' : 'not-found';
    }, { deadline });
  }
}

/** Standard Webhooks ids: unique, the same on every retry; `msg_` like Svix's. */
function newMsgId(): string {
  return `msg_${randomBytes(18).toString('base64url')}`;
}

function marks(items: readonly unknown[]): string {
  return items.map(() => '?').join(', ');
}

function endpointFromRow(r: Record<string, unknown>): CallbackEndpointRow {
  return {
    userId: Number(r.user_id),
    url: String(r.url),
    secretEnc: String(r.secret_enc),
    oldSecretEnc: (r.old_secret_enc as string | null) ?? null,
    oldSecretUntil: dbTimeOrNull((r.old_secret_until as Date | string | null) ?? null),
  };
}

function eventFromRow(r: Record<string, unknown>): CallbackEvent {
  return {
    id: Number(r.id),
    msgId: String(r.msg_id),
    userId: Number(r.user_id),
    transaksiId: r.transaksi_id === null || r.transaksi_id === undefined ? null : Number(r.transaksi_id),
    type: String(r.type),
    payload: String(r.payload),
    url: String(r.url),
    status: r.status as CallbackEventStatus,
    attempts: Number(r.attempts),
    nextAt: dbTime(r.next_at as Date | string),
    lastStatusCode: r.last_status_code === null || r.last_status_code === undefined ? null : Number(r.last_status_code),
    createdAt: dbTime(r.created_at as Date | string),
    updatedAt: dbTime(r.updated_at as Date | string),
  };
}

function attemptFromRow(r: Record<string, unknown>): CallbackAttempt {
  return {
    id: Number(r.id),
    eventId: Number(r.event_id),
    attempt: Number(r.attempt),
    statusCode: r.status_code === null ? null : Number(r.status_code),
    durationMs: Number(r.duration_ms),
    responseBody: (r.response_body as string | null) ?? null,
    error: (r.error as string | null) ?? null,
    waktu: dbTime(r.waktu as Date | string),
  };
}
