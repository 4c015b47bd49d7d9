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
  transaksiId: number | null;
  keterangan: string;
}

/**
 * The only code that changes a balance. Each change is one conditional UPDATE plus one mutasi
 * row in the caller's transaction, so user.saldo always equals the latest saldo_akhir and the
 * sum of the user's ledger.
 */
@Injectable()
export class LedgerService {
  constructor(@InjectRepository(Mutasi) private readonly mutasi: Repository<Mutasi>) {}

  /**
   * Applies the entry inside `manager`'s transaction: the balance change, then its ledger row.
   * Returns the new saldo, or null when a debit would overdraw (nothing is written then).
   */
  async apply(manager: EntityManager, entry: LedgerEntry): Promise<number | null> {
    const saldoAkhir = await this.changeSaldo(manager, entry.userId, entry.jumlah);
    if (saldoAkhir !== null) await this.record(manager, entry, saldoAkhir);
    return saldoAkhir;
  }

  /**
   * The balance change alone, for callers that must create the row the ledger entry points to
   * in between (see TransaksiService.beli). A debit never reads-then-writes: it is
   * `SET saldo = saldo - x WHERE saldo >= x`, so concurrent purchases cannot overdraw.
   * Returns the new saldo, or null when a debit would overdraw.
   */
  async changeSaldo(manager: EntityManager, userId: number, jumlah: number): Promise<number | null> {
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

  /** The ledger row for a balance change made in the same transaction. */
  async record(manager: EntityManager, entry: LedgerEntry, saldoAkhir: number): Promise<void> {
    await manager.query(
      'INSERT INTO mutasi (user_id, transaksi_id, jenis, jumlah, saldo_akhir, keterangan, waktu) VALUES (?, ?, ?, ?, ?, ?, ?)',
      [entry.userId, entry.transaksiId, entry.jenis, entry.jumlah, saldoAkhir, entry.keterangan.slice(0, 255), sqlDateTime(new Date())],
    );
  }

  listForUser(userId: number, limit: number, beforeId?: number): Promise<Mutasi[]> {
    return this.mutasi.find({
      where: beforeId ? { userId, id: LessThan(beforeId) } : { userId },
      order: { id: 'DESC' },
      take: limit,
    });
  }
}
