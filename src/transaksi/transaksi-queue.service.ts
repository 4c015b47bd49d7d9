import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, Repository } from 'typeorm';
import { appConfig, AppConfig } from '../config/app.config';
import { TransactionRunner } from '../database/transaction-runner';
import { claimTransaksi } from '../database/transaksi-claim';
import { sqlDateTime } from '../database/sql-time';
import { withTimeout } from '../common/timeout';
import { MetricsService, QueueSnapshot } from '../metrics/metrics.service';
import { PpobResult } from '../ppob/ppob.provider';
import { LedgerService } from '../users/ledger.service';
import { Transaksi } from './transaksi.entity';

export type FinalizeOutcome = 'written' | 'lease-lost';

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

  constructor(
    @InjectRepository(Transaksi) private readonly transaksi: Repository<Transaksi>,
    private readonly ledger: LedgerService,
    private readonly tx: TransactionRunner,
    private readonly metrics: MetricsService,
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
  async snapshot(now = new Date()): Promise<QueueSnapshot> {
    const [pending] = await this.transaksi.query("SELECT COUNT(*) AS n FROM transaksi WHERE status = 'pending'");
    const oldest = await this.transaksi.query("SELECT waktu FROM transaksi WHERE status = 'pending' ORDER BY id LIMIT 1");
    const [expired] = await this.transaksi.query("SELECT COUNT(*) AS n FROM transaksi WHERE status = 'proses' AND locked_until < ?", [
      sqlDateTime(now),
    ]);
    const oldestWaktu = oldest.length > 0 ? parseDbTime(oldest[0].waktu) : null;
    return {
      pending: Number(pending.n),
      oldestPendingAgeSeconds: oldestWaktu ? Math.max(0, (now.getTime() - oldestWaktu.getTime()) / 1000) : 0,
      leaseExpired: Number(expired.n),
    };
  }

  async claim(limit: number): Promise<Transaksi[]> {
    const ids = await claimTransaksi(this.tx, {
      instanceId: this.instanceId,
      limit,
      leaseMs: this.config.processor.leaseMs,
      now: new Date(),
    });
    if (ids.length === 0) return [];
    return this.transaksi.find({ where: { id: In(ids) }, order: { id: 'ASC' } });
  }

  /**
   * Writes the final status. `gagal` refunds the harga in the same transaction, so a failed
   * purchase is never left charged and a refund never happens without the status change.
   */
  finalize(row: Transaksi, result: PpobResult): Promise<FinalizeOutcome> {
    return this.tx.run(async (manager) => {
      const update = await manager
        .createQueryBuilder()
        .update(Transaksi)
        .set({ status: result.status, hasilEksekusi: result.hasil.slice(0, 500), lockedBy: null, lockedUntil: null, updatedAt: new Date() })
        .where("id = :id AND locked_by = :me AND status = 'proses'", { id: row.id, me: this.instanceId })
        .execute();
      // Read affected rows from the UpdateResult: a raw query() on SQLite returns lastInsertRowid
      // instead, which would silently disable the fence.
      if (update.affected !== 1) return 'lease-lost';
      if (result.status === 'gagal') {
        await this.ledger.apply(manager, {
          userId: row.userId,
          jumlah: row.harga,
          jenis: 'refund',
          transaksiId: row.id,
          keterangan: `Refund transaksi ${row.id} (gagal)`,
        });
      }
      return 'written';
    });
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
        .set({ lockedUntil: new Date(Date.now() + retryInMs), hasilEksekusi: reason.slice(0, 500), updatedAt: new Date() })
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

/** A raw DATETIME: mysql2 gives a Date (timezone 'Z'), better-sqlite3 the UTC text we stored. */
function parseDbTime(value: Date | string): Date {
  return value instanceof Date ? value : new Date(`${value.replace(' ', 'T')}Z`);
}
