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
