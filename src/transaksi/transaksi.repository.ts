import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, FindOptionsWhere, LessThan, Repository } from 'typeorm';
import { CallbackOutbox } from '../callback/callback-outbox';
import { AppClock } from '../common/app-clock';
import { parseServerVersion } from '../database/database-startup';
import { dbTime, execute } from '../database/raw-sql';
import { DIALECT_SQL, DialectSql, sqlDateTime } from '../database/sql-time';
import { TransactionRunner } from '../database/transaction-runner';
import type { UpstreamRecord } from '../ppob/ppob.provider';
import { LedgerService } from '../users/ledger.service';
import { Transaksi, TransaksiStatus } from './transaksi.entity';
import { TRANSAKSI_COLUMNS, transaksiFromRow, TransaksiRow } from './transaksi.mapper';

/** A new purchase, as /beli inserts it. */
export interface NewTransaksi {
  userId: number;
  produkId: number;
  refId: string;
  nomorTujuan: string;
  nominal: number;
  harga: number;
  /** The product's supplier price at /beli: the max_price of every call for this purchase. */
  hargaModal: number | null;
  /** The product's supplier code at /beli: the buyer_sku_code of every call for this purchase. */
  kode: string | null;
  callbackUrl: string | null;
}

/** A final status to write for a row this instance holds. */
export interface Settlement {
  row: Transaksi;
  status: 'sukses' | 'gagal';
  /** What customers see in hasil_eksekusi (a fixed message, or the serial number). */
  hasil: string;
  /** Give the harga back in the same transaction (only for a definite failure). */
  refund: boolean;
  /** The serial number of a delivered purchase. */
  sn?: string | null;
  /** The supplier's own rc and message, kept for the operator. */
  upstream?: UpstreamRecord;
}

export type UpstreamSettlement = Omit<Settlement, 'row'>;

export interface QueueCounts {
  pending: number;
  oldestPendingWaktu: Date | null;
  leaseExpired: number;
  perluOperator: number;
  /** The database's clock when counted (ages are measured against it, not this process's clock). */
  dbNow: Date;
}

/**
 * Every statement on the transaksi table, for both dialects: /beli's insert and the owner-scoped
 * reads, and everything the processor does; services only call these intent-named methods. Each change after the claim is
 * fenced on (id, locked_by = the instance, status = 'proses'), so an instance that lost its lease
 * writes nothing.
 *
 * Lease times come from the database's clock, inside the statement that writes or compares them
 * (UTC_TIMESTAMP(3) on MySQL/MariaDB, strftime('now') on SQLite): instances whose clocks disagree,
 * or whose claim waited for a pooled connection, still agree on when a lease ends.
 */
@Injectable()
export class TransaksiRepository {
  private readonly sql: DialectSql;
  private returning: Promise<boolean> | null = null;

  constructor(
    @InjectRepository(Transaksi) private readonly transaksi: Repository<Transaksi>,
    private readonly tx: TransactionRunner,
    private readonly ledger: LedgerService,
    private readonly clock: AppClock,
    private readonly outbox: CallbackOutbox,
  ) {
    this.sql = DIALECT_SQL[tx.dialect];
  }

  /** Inserts a `pending` purchase inside `manager`'s transaction (see TransaksiService.beli); returns its id. */
  async insertPending(manager: EntityManager, trx: NewTransaksi): Promise<number> {
    const now = sqlDateTime(this.clock.now());
    const { insertId } = await execute(
      manager,
      `INSERT INTO transaksi (user_id, produk_id, ref_id, nomor_tujuan, nominal, harga, harga_modal, kode, callback_url, status, attempts, waktu, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?)`,
      [trx.userId, trx.produkId, trx.refId, trx.nomorTujuan, trx.nominal, trx.harga, trx.hargaModal, trx.kode, trx.callbackUrl, now, now],
    );
    return insertId;
  }

  /**
   * Inserts `pending` purchases of one user in one statement inside `manager`'s transaction (the
   * /beli group commit); returns their ids in the same order. MariaDB and SQLite return them from
   * the INSERT itself (RETURNING); MySQL has no INSERT ... RETURNING, and its multi-row INSERT
   * reports only the first id (with innodb_autoinc_lock_mode=2 the others need not follow it), so
   * there they are read back by (user_id, ref_id), the unique index.
   */
  async insertPendingMany(manager: EntityManager, userId: number, trxs: readonly NewTransaksi[]): Promise<number[]> {
    if (trxs.length === 1) return [await this.insertPending(manager, trxs[0])];
    const now = sqlDateTime(this.clock.now());
    const params: unknown[] = [];
    for (const trx of trxs) {
      if (trx.userId !== userId) throw new Error('insertPendingMany: purchases of one user only');
      params.push(userId, trx.produkId, trx.refId, trx.nomorTujuan, trx.nominal, trx.harga, trx.hargaModal, trx.kode, trx.callbackUrl, now, now);
    }
    const returning = await this.insertReturns(manager);
    const inserted: unknown = await manager.query(
      `INSERT INTO transaksi (user_id, produk_id, ref_id, nomor_tujuan, nominal, harga, harga_modal, kode, callback_url, status, attempts, waktu, updated_at)
       VALUES ${trxs.map(() => "(?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?)").join(', ')}${returning ? ' RETURNING id, ref_id' : ''}`,
      params,
    );
    const rows: Array<{ id: number | string; ref_id: string }> = returning
      ? (inserted as Array<{ id: number | string; ref_id: string }>)
      : await manager.query(`SELECT id, ref_id FROM transaksi WHERE user_id = ? AND ref_id IN (${marks(trxs)})`, [userId, ...trxs.map((trx) => trx.refId)]);
    const ids = new Map(rows.map((row) => [row.ref_id, Number(row.id)]));
    return trxs.map((trx) => {
      const id = ids.get(trx.refId);
      if (id === undefined) throw new Error(`insertPendingMany: ref_id ${trx.refId} not found after its insert`);
      return id;
    });
  }

  /**
   * Whether this server answers INSERT ... RETURNING (MariaDB 10.5+, SQLite 3.35+; not MySQL),
   * asked once. Asked on the caller's connection: a query on another pooled connection from inside
   * a transaction that holds a user's row lock can wait for a connection held by a transaction
   * that waits for that lock (seen: every purchase 503 until the 50 s lock-wait timeout).
   */
  private insertReturns(manager: EntityManager): Promise<boolean> {
    this.returning ??=
      this.tx.dialect === 'sqlite'
        ? Promise.resolve(true)
        : manager
            .query('SELECT VERSION() AS v')
            .then((rows: Array<{ v: string }>) => parseServerVersion(String(rows[0]?.v ?? '')).engine === 'mariadb')
            .catch((err: unknown) => {
              this.returning = null;
              throw err;
            });
    return this.returning;
  }

  /** The user's ref_ids among `refIds` that already have a committed transaksi. */
  async existingRefs(userId: number, refIds: readonly string[]): Promise<Set<string>> {
    if (refIds.length === 0) return new Set();
    const rows: Array<{ ref_id: string }> = await this.transaksi.query(`SELECT ref_id FROM transaksi WHERE user_id = ? AND ref_id IN (${marks(refIds)})`, [userId, ...refIds]);
    return new Set(rows.map((row) => row.ref_id));
  }

  /** One of the user's transaksi, or null (another user's id is the same as a missing one). */
  async findForUser(userId: number, id: number): Promise<Transaksi | null> {
    const [row]: TransaksiRow[] = await this.transaksi.query(`SELECT ${TRANSAKSI_COLUMNS} FROM transaksi WHERE id = ? AND user_id = ?`, [id, userId]);
    return row ? transaksiFromRow(row) : null;
  }

  findByRef(userId: number, refId: string): Promise<Transaksi | null> {
    return this.transaksi.findOne({ where: { userId, refId } });
  }

  /** The user's transaksi, newest first. */
  listForUser(userId: number, limit: number, beforeId?: number, status?: TransaksiStatus): Promise<Transaksi[]> {
    const where: FindOptionsWhere<Transaksi> = { userId };
    if (beforeId) where.id = LessThan(beforeId);
    if (status) where.status = status;
    return this.transaksi.find({ where, order: { id: 'DESC' }, take: limit });
  }

  /**
   * Claims up to `limit` rows for `instanceId`: rows whose lease expired first (a dead or stalled
   * instance's; their buyers have waited longest, and a steady backlog of pending rows must not
   * starve them), then pending rows in id order. `exclude`: rows this instance is still running
   * (its own call is in flight, so the row must not be claimed again, nor an attempt spent).
   * Claimed rows become `proses` with a lease of `leaseMs` from the database's now, attempts + 1.
   */
  claimDue(instanceId: string, limit: number, leaseMs: number, exclude: readonly number[]): Promise<Transaksi[]> {
    return this.tx.dialect === 'mysql' ? this.claimMysql(instanceId, limit, leaseMs, exclude) : this.claimSqlite(instanceId, limit, leaseMs, exclude);
  }

  /**
   * A short READ COMMITTED transaction. Under REPEATABLE READ, InnoDB takes gap locks that make
   * claims deadlock with concurrent INSERTs from /beli. SKIP LOCKED lets several instances claim
   * at once without waiting on each other's rows. The queries use the bare table with LIMIT
   * (no joins), so exactly the rows returned are locked, via ix_transaksi_status_locked_until and
   * ix_transaksi_status_id.
   */
  private claimMysql(instanceId: string, limit: number, leaseMs: number, exclude: readonly number[]): Promise<Transaksi[]> {
    return this.tx.run(async (manager) => {
      const notMine = exclude.length > 0 ? ` AND id NOT IN (${marks(exclude)})` : '';
      const rows: TransaksiRow[] = await manager.query(
        `SELECT ${TRANSAKSI_COLUMNS} FROM transaksi
         WHERE status = 'proses' AND locked_until < UTC_TIMESTAMP(3) AND perlu_operator = 0${notMine}
         ORDER BY locked_until LIMIT ? FOR UPDATE SKIP LOCKED`,
        [...exclude, limit],
      );
      if (rows.length < limit) {
        const pending: TransaksiRow[] = await manager.query(
          `SELECT ${TRANSAKSI_COLUMNS} FROM transaksi WHERE status = 'pending' ORDER BY id LIMIT ? FOR UPDATE SKIP LOCKED`,
          [limit - rows.length],
        );
        rows.push(...pending);
      }
      if (rows.length === 0) return [];
      const now = this.clock.now();
      await manager.query(
        `UPDATE transaksi SET status = 'proses', locked_by = ?, locked_until = ${this.sql.nowPlus}, attempts = attempts + 1, updated_at = ?
         WHERE id IN (${marks(rows)})`,
        [instanceId, this.sql.interval(leaseMs), sqlDateTime(now), ...rows.map((row) => row.id)],
      );
      // The rows as the UPDATE left them; the lease end is tracked by the processor (monotonic).
      return rows
        .map((row) => transaksiFromRow({ ...row, status: 'proses', locked_by: instanceId, locked_until: null, attempts: Number(row.attempts) + 1, updated_at: now }))
        .sort((a, b) => a.id - b.id);
    }, 'READ COMMITTED');
  }

  /**
   * SQLite has no row locks (TypeORM throws LockNotSupportedOnGivenDriverError for any setLock),
   * but a single UPDATE ... RETURNING is atomic against every other writer of the file. Expired
   * leases and pending rows are taken together in id order, so neither starves the other.
   */
  private claimSqlite(instanceId: string, limit: number, leaseMs: number, exclude: readonly number[]): Promise<Transaksi[]> {
    return this.tx.run(async (manager) => {
      const notMine = exclude.length > 0 ? ` AND id NOT IN (${marks(exclude)})` : '';
      const rows: TransaksiRow[] = await manager.query(
        `UPDATE transaksi SET status = 'proses', locked_by = ?, locked_until = ${this.sql.nowPlus}, attempts = attempts + 1, updated_at = ?
         WHERE id IN (
           SELECT id FROM transaksi
           WHERE status = 'pending' OR (status = 'proses' AND locked_until < ${this.sql.now} AND perlu_operator = 0${notMine})
           ORDER BY id LIMIT ?
         )
         RETURNING ${TRANSAKSI_COLUMNS}`,
        [instanceId, this.sql.interval(leaseMs), sqlDateTime(this.clock.now()), ...exclude, limit],
      );
      return rows.map((row) => transaksiFromRow({ ...row, locked_until: null })).sort((a, b) => a.id - b.id);
    });
  }

  /**
   * The heartbeat: renews the lease of rows whose provider call is still running. Fenced, so a
   * row another instance has taken (this one stalled past its lease) is not renewed; the ids
   * returned are the rows still held.
   */
  extendLeases(instanceId: string, ids: readonly number[], leaseMs: number): Promise<Set<number>> {
    if (ids.length === 0) return Promise.resolve(new Set());
    return this.tx.run(async (manager) => {
      const held = await this.lockHeld(manager, instanceId, ids);
      if (held.length > 0) {
        await manager.query(
          `UPDATE transaksi SET locked_until = ${this.sql.nowPlus} WHERE id IN (${marks(held)}) AND locked_by = ? AND status = 'proses'`,
          [this.sql.interval(leaseMs), ...held, instanceId],
        );
      }
      return new Set(held);
    }, 'READ COMMITTED');
  }

  /**
   * Final statuses for many rows in one transaction (the group commit). The rows still held are
   * locked first; only those are updated and refunded. The refunds are one ledger call
   * (applyCredits: three statements however many there are), which locks the users in primary-key
   * order, so two instances' batches lock users in the same order and cannot deadlock on each
   * other. Returns the ids written.
   *
   * READ COMMITTED, like the claim: under REPEATABLE READ the locking SELECT may walk the
   * (status, id) index and take next-key locks, and the gap just before the first 'proses' entry
   * is where /beli inserts its new 'pending' row. /beli holds its user's row while it inserts, a
   * refund here wants that user's row: a deadlock on every busy minute (seen in the
   * three-instance spec). With READ COMMITTED only the matching rows are locked.
   */
  settle(instanceId: string, settlements: readonly Settlement[]): Promise<Set<number>> {
    return this.tx.run(async (manager) => {
      const held = new Set(await this.lockHeld(manager, instanceId, [...new Set(settlements.map((s) => s.row.id))]));
      const writes = firstPerRow(settlements).filter((s) => held.has(s.row.id));
      if (writes.length === 0) return new Set<number>();
      const now = this.clock.now();
      const statusCase = writes.map(() => 'WHEN ? THEN ?').join(' ');
      const params: unknown[] = [];
      for (const w of writes) params.push(w.row.id, w.status);
      for (const w of writes) params.push(w.row.id, w.hasil.slice(0, 500));
      // The supplier's fields only when some result carries them (the simulated provider's do not).
      const withUpstream = writes.some((w) => w.upstream || w.sn);
      let upstreamSet = '';
      if (withUpstream) {
        upstreamSet = `sn = CASE id ${statusCase} END, upstream_rc = CASE id ${statusCase} END, upstream_pesan = CASE id ${statusCase} END,`;
        for (const w of writes) params.push(w.row.id, snColumn(w.sn));
        for (const w of writes) params.push(w.row.id, w.upstream?.rc ?? null);
        for (const w of writes) params.push(w.row.id, w.upstream?.pesan?.slice(0, 255) ?? null);
      }
      await manager.query(
        `UPDATE transaksi SET status = CASE id ${statusCase} END, hasil_eksekusi = CASE id ${statusCase} END, ${upstreamSet}
           locked_by = NULL, locked_until = NULL, updated_at = ?
         WHERE id IN (${marks(writes)}) AND locked_by = ? AND status = 'proses'`,
        [...params, sqlDateTime(now), ...writes.map((w) => w.row.id), instanceId],
      );
      const refunds = writes.filter((w) => w.refund).sort((a, b) => a.row.userId - b.row.userId || a.row.id - b.row.id);
      await this.ledger.applyCredits(
        manager,
        refunds.map(({ row }) => ({ userId: row.userId, jumlah: row.harga, jenis: 'refund', transaksiId: row.id, keterangan: `Refund transaksi ${row.id} (gagal)` })),
      );
      // The callback events, in this same transaction (the outbox): a final status and its
      // event commit together or not at all.
      await this.outbox.recordFinal(manager, writes.map((w) => ({ row: w.row, status: w.status, hasil: w.hasil, sn: snColumn(w.sn), updatedAt: now })));
      return new Set(writes.map((w) => w.row.id));
    }, 'READ COMMITTED');
  }

  /**
   * A final status the supplier reported by itself (its callback), for a row any instance may
   * hold, or none (perlu_operator). Fenced on `status = 'proses'` only: of the callback, a
   * repeat, and the processor's own answer, exactly one write wins, and the others match no row
   * (the processor's settle() is fenced on 'proses' too, and its heartbeat then sees the row gone).
   * The refund, when there is one, is in the same transaction. Returns whether this call wrote it.
   */
  settleFromUpstream(id: number, s: UpstreamSettlement): Promise<boolean> {
    return this.tx.run(async (manager) => {
      const lock = this.tx.dialect === 'mysql' ? ' FOR UPDATE' : '';
      const [raw]: TransaksiRow[] = await manager.query(`SELECT ${TRANSAKSI_COLUMNS} FROM transaksi WHERE id = ? AND status = 'proses'${lock}`, [id]);
      if (!raw) return false;
      const row = transaksiFromRow(raw);
      const now = this.clock.now();
      const { affected } = await execute(
        manager,
        `UPDATE transaksi SET status = ?, hasil_eksekusi = ?, sn = ?, upstream_rc = ?, upstream_pesan = ?, perlu_operator = 0,
           locked_by = NULL, locked_until = NULL, updated_at = ? WHERE id = ? AND status = 'proses'`,
        [s.status, s.hasil.slice(0, 500), snColumn(s.sn), s.upstream?.rc ?? null, s.upstream?.pesan?.slice(0, 255) ?? null, sqlDateTime(now), id],
      );
      if (affected !== 1) return false;
      if (s.refund) {
        await this.ledger.apply(manager, { userId: row.userId, jumlah: row.harga, jenis: 'refund', transaksiId: id, keterangan: `Refund transaksi ${id} (gagal)` });
      }
      // The reseller's callback event commits with the status, as in settle().
      await this.outbox.recordFinal(manager, [{ row, status: s.status, hasil: s.hasil, sn: snColumn(s.sn), updatedAt: now }]);
      return true;
    }, 'READ COMMITTED');
  }

  async isInProgress(id: number): Promise<boolean> {
    const rows: unknown[] = await this.transaksi.query("SELECT id FROM transaksi WHERE id = ? AND status = 'proses'", [id]);
    return rows.length > 0;
  }

  /**
   * Keeps the row claimed but lets the lease run out `retryInMs` from the database's now; then
   * any instance may claim it again as an expired lease (same idempotency key).
   */
  async postpone(instanceId: string, id: number, retryInMs: number, hasil: string): Promise<boolean> {
    return this.fencedUpdate(`locked_until = ${this.sql.nowPlus}, hasil_eksekusi = ?, updated_at = ?`, [this.sql.interval(retryInMs), hasil.slice(0, 500), sqlDateTime(this.clock.now())], instanceId, [id]);
  }

  /** Cannot be settled by the processor: stays `proses`, no lease, never claimed again; an operator decides. */
  async markNeedsOperator(instanceId: string, id: number, hasil: string): Promise<boolean> {
    return this.fencedUpdate('perlu_operator = 1, locked_by = NULL, locked_until = NULL, hasil_eksekusi = ?, updated_at = ?', [hasil.slice(0, 500), sqlDateTime(this.clock.now())], instanceId, [id]);
  }

  /** Hands claimed rows that were never started back to `pending` (shutdown), attempt uncounted. */
  async release(instanceId: string, ids: readonly number[]): Promise<void> {
    if (ids.length === 0) return;
    await this.fencedUpdate("status = 'pending', locked_by = NULL, locked_until = NULL, attempts = attempts - 1, updated_at = ?", [sqlDateTime(this.clock.now())], instanceId, ids);
  }

  /** The queue as the metrics show it; each count walks one index. */
  async counts(): Promise<QueueCounts> {
    return this.tx.read(async (manager) => {
      const [{ n: pending }] = await manager.query("SELECT COUNT(*) AS n FROM transaksi WHERE status = 'pending'");
      const oldest = await manager.query("SELECT waktu FROM transaksi WHERE status = 'pending' ORDER BY id LIMIT 1");
      const [{ n: expired }] = await manager.query(
        `SELECT COUNT(*) AS n FROM transaksi WHERE status = 'proses' AND locked_until < ${this.sql.now}`,
      );
      const [{ n: operator }] = await manager.query('SELECT COUNT(*) AS n FROM transaksi WHERE perlu_operator = 1');
      const [{ now }] = await manager.query(`SELECT ${this.sql.now} AS now`);
      return {
        pending: Number(pending),
        oldestPendingWaktu: oldest.length > 0 ? dbTime(oldest[0].waktu) : null,
        leaseExpired: Number(expired),
        perluOperator: Number(operator),
        dbNow: dbTime(now),
      };
    });
  }

  /** Ids among `ids` still leased to `instanceId`, locked until commit on MySQL. */
  private async lockHeld(manager: EntityManager, instanceId: string, ids: readonly number[]): Promise<number[]> {
    const lock = this.tx.dialect === 'mysql' ? ' FOR UPDATE' : '';
    const rows: Array<{ id: string | number }> = await manager.query(
      `SELECT id FROM transaksi WHERE id IN (${marks(ids)}) AND locked_by = ? AND status = 'proses'${lock}`,
      [...ids, instanceId],
    );
    return rows.map((r) => Number(r.id));
  }

  private async fencedUpdate(set: string, params: unknown[], instanceId: string, ids: readonly number[]): Promise<boolean> {
    const { affected } = await this.tx.run((manager) =>
      execute(manager, `UPDATE transaksi SET ${set} WHERE id IN (${marks(ids)}) AND locked_by = ? AND status = 'proses'`, [...params, ...ids, instanceId]),
    );
    return affected === ids.length;
  }
}

/**
 * The serial number as transaksi.sn holds it (100 characters). A supplier's SN has no length
 * limit (a PLN token's carries the name and kWh); too long, MySQL refuses the whole settlement
 * and the purchase could never be written. The token leads the SN, and hasil_eksekusi keeps more.
 */
function snColumn(sn: string | null | undefined): string | null {
  return sn ? sn.slice(0, 100) : null;
}

function marks(items: readonly unknown[]): string {
  return items.map(() => '?').join(', ');
}

/** The first settlement of each row (the processor never settles one row twice at once). */
function firstPerRow(settlements: readonly Settlement[]): Settlement[] {
  const seen = new Set<number>();
  return settlements.filter((s) => !seen.has(s.row.id) && seen.add(s.row.id));
}
