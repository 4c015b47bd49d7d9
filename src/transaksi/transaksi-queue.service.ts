import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { appConfig, AppConfig } from '../config/app.config';
import { TransactionRunner } from '../database/transaction-runner';
import { claimTransaksi } from '../database/transaksi-claim';
import { dbTime } from '../database/raw-sql';
import { sqlDateTime } from '../database/sql-time';
import { AppClock } from '../common/app-clock';
import { withTimeout } from '../common/timeout';
import { MetricsService, QueueSnapshot } from '../metrics/metrics.service';
import { PpobResult } from '../ppob/ppob.provider';
import { LedgerService } from '../users/ledger.service';
import { Transaksi } from './transaksi.entity';

export type FinalizeOutcome = 'written' | 'lease-lost';

/** Results written by one finalize transaction at most. */
const MAX_FINALIZE_BATCH = 100;

interface PendingWrite {
  row: Transaksi;
  result: PpobResult;
  resolve: (outcome: FinalizeOutcome) => void;
  reject: (err: unknown) => void;
}

/** A metrics scrape waits at most this long for the queue figures. */
const SNAPSHOT_TIMEOUT_MS = 2_000;

/**
 * The processor's side of the transaksi table: claim, finalize, postpone. Every write after the
 * claim is fenced on (id, locked_by = this instance, status = 'proses'), so an instance that lost
 * its lease (it stalled past locked_until and another instance took the row) writes nothing.
 */
@Injectable()
export class TransaksiQueueService implements OnModuleInit {
  private readonly instanceId: string;
  private readonly waitingWrites: PendingWrite[] = [];
  private writing = false;

  constructor(
    @InjectRepository(Transaksi) private readonly transaksi: Repository<Transaksi>,
    private readonly ledger: LedgerService,
    private readonly tx: TransactionRunner,
    private readonly metrics: MetricsService,
    private readonly clock: AppClock,
    @Inject(appConfig.KEY) private readonly config: AppConfig,
  ) {
    this.instanceId = config.processor.instanceId;
  }

  onModuleInit(): void {
    this.metrics.setQueueSampler(() => withTimeout(this.snapshot(), SNAPSHOT_TIMEOUT_MS, () => new Error('queue snapshot timed out')));
  }

  /**
   * The queue as the metrics show it. Each query walks one index: (status, id) for the pending
   * count and the oldest pending row, (status, locked_until) for expired leases.
   */
  async snapshot(now = this.clock.now()): Promise<QueueSnapshot> {
    const [pending] = await this.transaksi.query("SELECT COUNT(*) AS n FROM transaksi WHERE status = 'pending'");
    const oldest = await this.transaksi.query("SELECT waktu FROM transaksi WHERE status = 'pending' ORDER BY id LIMIT 1");
    const [expired] = await this.transaksi.query("SELECT COUNT(*) AS n FROM transaksi WHERE status = 'proses' AND locked_until < ?", [
      sqlDateTime(now),
    ]);
    const oldestWaktu = oldest.length > 0 ? dbTime(oldest[0].waktu) : null;
    return {
      pending: Number(pending.n),
      oldestPendingAgeSeconds: oldestWaktu ? Math.max(0, (now.getTime() - oldestWaktu.getTime()) / 1000) : 0,
      leaseExpired: Number(expired.n),
    };
  }

  claim(limit: number): Promise<Transaksi[]> {
    return claimTransaksi(this.tx, { instanceId: this.instanceId, limit, leaseMs: this.config.processor.leaseMs, now: this.clock.now() });
  }

  /**
   * Writes the final status. `gagal` refunds the harga in the same transaction, so a failed
   * purchase is never left charged and a refund never happens without the status change.
   *
   * Results that arrive while a write is in flight are written together in the next transaction
   * (a group commit): with nothing else waiting a result is written at once, alone; under load
   * one transaction carries many, which is what lets the processor keep up with a fast upstream.
   */
  finalize(row: Transaksi, result: PpobResult): Promise<FinalizeOutcome> {
    return new Promise((resolve, reject) => {
      this.waitingWrites.push({ row, result, resolve, reject });
      if (!this.writing) void this.writeWaiting();
    });
  }

  private async writeWaiting(): Promise<void> {
    this.writing = true;
    try {
      while (this.waitingWrites.length > 0) {
        const batch = this.waitingWrites.splice(0, MAX_FINALIZE_BATCH);
        try {
          settle(batch, await this.finalizeBatch(batch));
        } catch (err) {
          if (batch.length === 1) {
            batch[0].reject(err);
            continue;
          }
          // One bad row must not keep the others from being written: retry them one by one.
          for (const write of batch) {
            await this.finalizeBatch([write]).then((outcomes) => settle([write], outcomes), write.reject);
          }
        }
      }
    } finally {
      this.writing = false;
    }
  }

  /**
   * One transaction for many results. The rows still leased to this instance are locked first
   * (fence: id, locked_by = me, status = 'proses'); only those are updated and refunded. Refunds
   * go in user order, so two instances' batches lock users in the same order and cannot deadlock
   * on each other.
   *
   * READ COMMITTED, like the claim: under REPEATABLE READ the locking SELECT may walk the
   * (status, id) index and take next-key locks, and the gap just before the first 'proses' entry
   * is where /beli inserts its new 'pending' row. /beli holds its user's row while it inserts, a
   * refund here wants that user's row: a deadlock on every busy minute (seen in the
   * three-instance spec). With READ COMMITTED only the matching rows are locked.
   */
  private finalizeBatch(batch: PendingWrite[]): Promise<FinalizeOutcome[]> {
    return this.tx.run(async (manager) => {
      const ids = [...new Set(batch.map((w) => w.row.id))];
      const marks = ids.map(() => '?').join(', ');
      const lock = this.tx.dialect === 'mysql' ? ' FOR UPDATE' : '';
      const ownedRows: Array<{ id: string | number }> = await manager.query(
        `SELECT id FROM transaksi WHERE id IN (${marks}) AND locked_by = ? AND status = 'proses'${lock}`,
        [...ids, this.instanceId],
      );
      const owned = new Set(ownedRows.map((r) => Number(r.id)));
      const writes = uniqueById(batch).filter((w) => owned.has(w.row.id));
      if (writes.length > 0) {
        const statusCase = writes.map(() => 'WHEN ? THEN ?').join(' ');
        const params: unknown[] = [];
        for (const w of writes) params.push(w.row.id, w.result.status);
        for (const w of writes) params.push(w.row.id, w.result.hasil.slice(0, 500));
        await manager.query(
          `UPDATE transaksi SET status = CASE id ${statusCase} END, hasil_eksekusi = CASE id ${statusCase} END,
             locked_by = NULL, locked_until = NULL, updated_at = ?
           WHERE id IN (${writes.map(() => '?').join(', ')}) AND locked_by = ? AND status = 'proses'`,
          [...params, sqlDateTime(new Date()), ...writes.map((w) => w.row.id), this.instanceId],
        );
        const refunds = writes.filter((w) => w.result.status === 'gagal').sort((a, b) => a.row.userId - b.row.userId || a.row.id - b.row.id);
        for (const { row } of refunds) {
          await this.ledger.apply(manager, {
            userId: row.userId,
            jumlah: row.harga,
            jenis: 'refund',
            transaksiId: row.id,
            keterangan: `Refund transaksi ${row.id} (gagal)`,
          });
        }
      }
      const written = new Set(writes);
      return batch.map((w) => (written.has(w) ? 'written' : 'lease-lost'));
    }, 'READ COMMITTED');
  }

  /**
   * The upstream's answer is unknown (it threw): keep the row claimed but let the lease run out
   * after `retryInMs`, when any instance may claim it again as an expired lease. The retry uses
   * the same idempotency key, and PROCESSOR_MAX_ATTEMPTS bounds the retries.
   */
  async postpone(row: Transaksi, retryInMs: number, reason: string): Promise<FinalizeOutcome> {
    const update = await this.tx.run((manager) =>
      manager
        .createQueryBuilder()
        .update(Transaksi)
        .set({ lockedUntil: new Date(this.clock.now().getTime() + retryInMs), hasilEksekusi: reason.slice(0, 500), updatedAt: new Date() })
        .where("id = :id AND locked_by = :me AND status = 'proses'", { id: row.id, me: this.instanceId })
        .execute(),
    );
    return update.affected === 1 ? 'written' : 'lease-lost';
  }

  /** Gives claimed rows that were never started back to `pending` (shutdown), attempt uncounted. */
  async release(rows: Transaksi[]): Promise<void> {
    if (rows.length === 0) return;
    await this.tx.run((manager) =>
      manager
        .createQueryBuilder()
        .update(Transaksi)
        .set({ status: 'pending', lockedBy: null, lockedUntil: null, attempts: () => 'attempts - 1', updatedAt: new Date() })
        .where("id IN (:...ids) AND locked_by = :me AND status = 'proses'", { ids: rows.map((r) => r.id), me: this.instanceId })
        .execute(),
    );
  }
}


function settle(batch: PendingWrite[], outcomes: FinalizeOutcome[]): void {
  batch.forEach((write, i) => write.resolve(outcomes[i]));
}

/** The first write of each transaksi id (the processor never finalizes one row twice at once). */
function uniqueById(batch: PendingWrite[]): PendingWrite[] {
  const seen = new Set<number>();
  return batch.filter((w) => !seen.has(w.row.id) && seen.add(w.row.id));
}
