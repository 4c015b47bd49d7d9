import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, LessThan, Repository } from 'typeorm';
import { execute } from '../database/raw-sql';
import { sqlDateTime } from '../database/sql-time';
import { JenisMutasi, Mutasi } from './mutasi.entity';

export interface LedgerEntry {
  userId: number;
  /** Signed rupiah: negative debits, positive credits. */
  jumlah: number;
  jenis: JenisMutasi;
  /**
   * The transaksi the ledger row points to. A function when that row does not exist yet: it is
   * called after the balance change and before the ledger row, in the same transaction, and
   * returns the new transaksi's id (see TransaksiService.beli: debit first, then the insert).
   */
  transaksiId: number | null | (() => Promise<number>);
  keterangan: string;
}

/**
 * Debits of one user applied together (the /beli group commit): each entry is taken or refused
 * on its own, in order, on the saldo it would have had after the entries before it.
 */
export interface LedgerDebitBatch {
  userId: number;
  jenis: JenisMutasi;
  /** In order; every jumlah negative. */
  entries: ReadonlyArray<{ jumlah: number; keterangan: string }>;
  /**
   * Called after the balance change with the indexes of the entries taken, in the same
   * transaction; returns the transaksi id of each of them, in that order.
   */
  transaksiIds: (taken: number[]) => Promise<number[]>;
}

/** A credit matched no user row: a refund or deposit to nobody. The caller's transaction must fail. */
export class LedgerTargetMissingError extends Error {
  constructor(userId: number) {
    super(`ledger: no user ${userId} to credit`);
    this.name = 'LedgerTargetMissingError';
  }
}

/**
 * The only code that changes a balance, and only through apply(): the conditional UPDATE and
 * its mutasi row are one call in the caller's transaction, so user.saldo always equals the
 * latest saldo_akhir and the sum of the user's ledger. There is no public way to write one
 * without the other.
 */
@Injectable()
export class LedgerService {
  constructor(@InjectRepository(Mutasi) private readonly mutasi: Repository<Mutasi>) {}

  /**
   * Applies the entry inside `manager`'s transaction: the balance change, then its ledger row.
   * Returns the new saldo, or null when a debit would overdraw (nothing is written then). A
   * credit that matches no user throws: skipping it silently would lose the money.
   */
  async apply(manager: EntityManager, entry: LedgerEntry): Promise<number | null> {
    const saldoAkhir = await this.changeSaldo(manager, entry.userId, entry.jumlah);
    if (saldoAkhir === null) {
      if (entry.jumlah >= 0) throw new LedgerTargetMissingError(entry.userId);
      return null;
    }
    const transaksiId = typeof entry.transaksiId === 'function' ? await entry.transaksiId() : entry.transaksiId;
    await this.record(manager, entry, transaksiId, saldoAkhir);
    return saldoAkhir;
  }

  /**
   * Applies many debits of one user inside `manager`'s transaction, as one balance change and one
   * multi-row ledger insert: the user's row lock is taken once for all of them. Returns, per
   * entry, its saldo_akhir, or null when it was refused (the saldo at its turn did not cover it).
   *
   * The common case (the saldo covers them all) is one conditional UPDATE of the total. Otherwise
   * the row is locked and read, the entries are taken in order while the saldo covers each, and
   * the total of those is debited with the same conditional UPDATE; the lock makes the read the
   * saldo the UPDATE sees, and the condition still refuses to overdraw if it were not.
   */
  async applyDebits(manager: EntityManager, batch: LedgerDebitBatch): Promise<Array<number | null>> {
    const costs = batch.entries.map((e) => {
      if (!(e.jumlah < 0)) throw new Error(`ledger: applyDebits takes debits only (jumlah ${e.jumlah})`);
      return -e.jumlah;
    });
    let taken = costs.map((_, i) => i);
    let saldoAkhir = await this.changeSaldo(manager, batch.userId, -sum(costs));
    if (saldoAkhir === null) {
      const saldo = await this.lockedSaldo(manager, batch.userId);
      if (saldo === null) return costs.map(() => null);
      let left = saldo;
      taken = [];
      costs.forEach((cost, i) => {
        if (cost <= left) {
          taken.push(i);
          left -= cost;
        }
      });
      if (taken.length === 0) return costs.map(() => null);
      saldoAkhir = await this.changeSaldo(manager, batch.userId, -sum(taken.map((i) => costs[i])));
      // Cannot happen while the row is locked; refusing here keeps the batch from writing rows
      // that disagree with the balance.
      if (saldoAkhir === null) throw new Error(`ledger: saldo of user ${batch.userId} changed under its row lock`);
    }
    const result: Array<number | null> = costs.map(() => null);
    let running = saldoAkhir + sum(taken.map((i) => costs[i]));
    for (const i of taken) {
      running -= costs[i];
      result[i] = running;
    }
    const transaksiIds = await batch.transaksiIds(taken);
    const now = sqlDateTime(new Date());
    const values: unknown[] = [];
    taken.forEach((i, k) => {
      values.push(batch.userId, transaksiIds[k], batch.jenis, batch.entries[i].jumlah, result[i], batch.entries[i].keterangan.slice(0, 255), now);
    });
    await manager.query(
      `INSERT INTO mutasi (user_id, transaksi_id, jenis, jumlah, saldo_akhir, keterangan, waktu) VALUES ${taken.map(() => '(?, ?, ?, ?, ?, ?, ?)').join(', ')}`,
      values,
    );
    return result;
  }

  /**
   * Applies many credits (refunds) inside `manager`'s transaction in three statements whatever
   * their number: one UPDATE of every user's saldo, one read of the new saldos (the rows are
   * write-locked by that UPDATE until commit), one multi-row ledger insert. The UPDATE walks the
   * primary key in order, so two transactions crediting overlapping users lock them in the same
   * order. A user's entries are recorded in the order given, `saldo_akhir` rising entry by
   * entry. A credit to a user who does not exist throws: the caller's transaction must fail.
   */
  async applyCredits(manager: EntityManager, entries: ReadonlyArray<LedgerEntry & { transaksiId: number | null }>): Promise<void> {
    if (entries.length === 0) return;
    const totals = new Map<number, number>();
    for (const e of entries) {
      if (!(e.jumlah > 0)) throw new Error(`ledger: applyCredits takes credits only (jumlah ${e.jumlah})`);
      totals.set(e.userId, (totals.get(e.userId) ?? 0) + e.jumlah);
    }
    const users = [...totals.keys()].sort((a, b) => a - b);
    const marks = users.map(() => '?').join(', ');
    const { affected } = await execute(
      manager,
      `UPDATE users SET saldo = saldo + CASE id ${users.map(() => 'WHEN ? THEN ?').join(' ')} END, updated_at = ? WHERE id IN (${marks})`,
      [...users.flatMap((id) => [id, totals.get(id)]), sqlDateTime(new Date()), ...users],
    );
    if (affected !== users.length) {
      const rows: Array<{ id: number | string }> = await manager.query(`SELECT id FROM users WHERE id IN (${marks})`, users);
      const found = new Set(rows.map((r) => Number(r.id)));
      throw new LedgerTargetMissingError(users.find((id) => !found.has(id)) ?? users[0]);
    }
    const rows: Array<{ id: number | string; saldo: number | string }> = await manager.query(`SELECT id, saldo FROM users WHERE id IN (${marks})`, users);
    // Each user's saldo before these credits; every entry adds its own on top, in order.
    const running = new Map(rows.map((r) => [Number(r.id), Number(r.saldo) - totals.get(Number(r.id))!]));
    const now = sqlDateTime(new Date());
    const values: unknown[] = [];
    for (const e of entries) {
      const saldoAkhir = running.get(e.userId)! + e.jumlah;
      running.set(e.userId, saldoAkhir);
      values.push(e.userId, e.transaksiId, e.jenis, e.jumlah, saldoAkhir, e.keterangan.slice(0, 255), now);
    }
    await manager.query(
      `INSERT INTO mutasi (user_id, transaksi_id, jenis, jumlah, saldo_akhir, keterangan, waktu) VALUES ${entries.map(() => '(?, ?, ?, ?, ?, ?, ?)').join(', ')}`,
      values,
    );
  }

  /** The user's saldo, write-locked until commit on MySQL (SQLite's writer already holds the file); null when no such user. */
  private async lockedSaldo(manager: EntityManager, userId: number): Promise<number | null> {
    const lock = manager.connection.options.type === 'mysql' ? ' FOR UPDATE' : '';
    const [user]: Array<{ saldo: number | string }> = await manager.query(`SELECT saldo FROM users WHERE id = ?${lock}`, [userId]);
    return user ? Number(user.saldo) : null;
  }

  /**
   * A debit never reads-then-writes: it is `SET saldo = saldo - x WHERE saldo >= x`, so
   * concurrent purchases cannot overdraw. Returns the new saldo, or null when nothing matched.
   */
  private async changeSaldo(manager: EntityManager, userId: number, jumlah: number): Promise<number | null> {
    const now = sqlDateTime(new Date());
    const { affected } =
      jumlah < 0
        ? await execute(manager, 'UPDATE users SET saldo = saldo + ?, updated_at = ? WHERE id = ? AND saldo >= ?', [jumlah, now, userId, -jumlah])
        : await execute(manager, 'UPDATE users SET saldo = saldo + ?, updated_at = ? WHERE id = ?', [jumlah, now, userId]);
    if (affected !== 1) return null;
    // The row is write-locked by the UPDATE above until commit, so this reads our own result.
    const [user]: Array<{ saldo: number | string }> = await manager.query('SELECT saldo FROM users WHERE id = ?', [userId]);
    return Number(user.saldo);
  }

  private async record(manager: EntityManager, entry: LedgerEntry, transaksiId: number | null, saldoAkhir: number): Promise<void> {
    await manager.query(
      'INSERT INTO mutasi (user_id, transaksi_id, jenis, jumlah, saldo_akhir, keterangan, waktu) VALUES (?, ?, ?, ?, ?, ?, ?)',
      [entry.userId, transaksiId, entry.jenis, entry.jumlah, saldoAkhir, entry.keterangan.slice(0, 255), sqlDateTime(new Date())],
    );
  }

  /** Current saldo of these users as `manager`'s transaction sees it (callback payloads). */
  async saldoOf(manager: EntityManager, userIds: readonly number[]): Promise<Map<number, number>> {
    if (userIds.length === 0) return new Map();
    const rows: Array<{ id: number | string; saldo: number | string }> = await manager.query(
      `SELECT id, saldo FROM users WHERE id IN (${userIds.map(() => '?').join(', ')})`,
      [...userIds],
    );
    return new Map(rows.map((r) => [Number(r.id), Number(r.saldo)]));
  }

  listForUser(userId: number, limit: number, beforeId?: number): Promise<Mutasi[]> {
    return this.mutasi.find({
      where: beforeId ? { userId, id: LessThan(beforeId) } : { userId },
      order: { id: 'DESC' },
      take: limit,
    });
  }
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
