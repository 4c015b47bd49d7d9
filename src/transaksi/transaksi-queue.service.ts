import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { withTimeout } from '../common/timeout';
import { appConfig, AppConfig } from '../config/app.config';
import { MetricsService, QueueSnapshot } from '../metrics/metrics.service';
import { Transaksi } from './transaksi.entity';
import { Settlement, TransaksiRepository } from './transaksi.repository';

export type FinalizeOutcome = 'written' | 'lease-lost';

/** A final status for a held row: what the outcome decided (see transaksi-outcome.ts). */
export type FinalStatus = Omit<Settlement, 'row'>;

/** Results written by one finalize transaction at most. */
const MAX_FINALIZE_BATCH = 100;

interface PendingWrite {
  settlement: Settlement;
  resolve: (outcome: FinalizeOutcome) => void;
  reject: (err: unknown) => void;
}

/** A metrics scrape waits at most this long for the queue figures. */
const SNAPSHOT_TIMEOUT_MS = 2_000;

/**
 * The processor's side of the transaksi table, as this instance: claim, heartbeat, finalize
 * (group commit), postpone, hand to an operator, release. The SQL is TransaksiRepository's; this
 * adds the instance id and lease length, and batches final writes.
 */
@Injectable()
export class TransaksiQueueService implements OnModuleInit {
  private readonly instanceId: string;
  private readonly leaseMs: number;
  private readonly waitingWrites: PendingWrite[] = [];
  private writing = false;

  constructor(
    private readonly repository: TransaksiRepository,
    private readonly metrics: MetricsService,
    @Inject(appConfig.KEY) config: AppConfig,
  ) {
    this.instanceId = config.processor.instanceId;
    this.leaseMs = config.processor.leaseMs;
  }

  onModuleInit(): void {
    this.metrics.setQueueSampler(() => withTimeout(this.snapshot(), SNAPSHOT_TIMEOUT_MS, () => new Error('queue snapshot timed out')));
  }

  /** The queue as the metrics show it; ages against the database's clock. */
  async snapshot(): Promise<QueueSnapshot> {
    const counts = await this.repository.counts();
    return {
      pending: counts.pending,
      oldestPendingAgeSeconds: counts.oldestPendingWaktu ? Math.max(0, (counts.dbNow.getTime() - counts.oldestPendingWaktu.getTime()) / 1000) : 0,
      leaseExpired: counts.leaseExpired,
      perluOperator: counts.perluOperator,
    };
  }

  /** `exclude`: rows this instance is still running, never to be claimed back by it. */
  claim(limit: number, exclude: readonly number[] = []): Promise<Transaksi[]> {
    return this.repository.claimDue(this.instanceId, limit, this.leaseMs, exclude);
  }

  /** Renews the leases of rows whose call is still running; returns the ids still held. */
  extendLeases(ids: readonly number[]): Promise<Set<number>> {
    return this.repository.extendLeases(this.instanceId, ids, this.leaseMs);
  }

  /**
   * Writes the final status; a refund goes in the same transaction, so a failed purchase is
   * never left charged and a refund never happens without the status change.
   *
   * Results that arrive while a write is in flight are written together in the next transaction
   * (a group commit): with nothing else waiting a result is written at once, alone; under load
   * one transaction carries many, which is what lets the processor keep up with a fast upstream.
   */
  finalize(row: Transaksi, status: FinalStatus): Promise<FinalizeOutcome> {
    return new Promise((resolve, reject) => {
      this.waitingWrites.push({ settlement: { row, ...status }, resolve, reject });
      if (!this.writing) void this.writeWaiting();
    });
  }

  private async writeWaiting(): Promise<void> {
    this.writing = true;
    try {
      while (this.waitingWrites.length > 0) {
        const batch = this.waitingWrites.splice(0, MAX_FINALIZE_BATCH);
        try {
          settleWrites(batch, await this.repository.settle(this.instanceId, batch.map((w) => w.settlement)));
        } catch (err) {
          if (batch.length === 1) {
            batch[0].reject(err);
            continue;
          }
          // One bad row must not keep the others from being written: retry them one by one.
          for (const write of batch) {
            await this.repository.settle(this.instanceId, [write.settlement]).then((written) => settleWrites([write], written), write.reject);
          }
        }
      }
    } finally {
      this.writing = false;
    }
  }

  /**
   * The outcome is not known yet: keep the row claimed but let the lease run out after
   * `retryInMs`, when any instance may claim it again (same idempotency key).
   */
  async postpone(row: Transaksi, retryInMs: number, hasil: string): Promise<FinalizeOutcome> {
    return (await this.repository.postpone(this.instanceId, row.id, retryInMs, hasil)) ? 'written' : 'lease-lost';
  }

  /** The processor cannot settle it: stays `proses`, charged, with perlu_operator set and no lease. */
  async markNeedsOperator(row: Transaksi, hasil: string): Promise<FinalizeOutcome> {
    return (await this.repository.markNeedsOperator(this.instanceId, row.id, hasil)) ? 'written' : 'lease-lost';
  }

  /** Gives claimed rows that were never started back to `pending` (shutdown), attempt uncounted. */
  release(rows: Transaksi[]): Promise<void> {
    return this.repository.release(
      this.instanceId,
      rows.map((r) => r.id),
    );
  }
}

function settleWrites(batch: PendingWrite[], written: Set<number>): void {
  // The first write of a row is the one written; a duplicate in the same batch reports lease-lost.
  const done = new Set<number>();
  for (const write of batch) {
    const id = write.settlement.row.id;
    const ok = written.has(id) && !done.has(id);
    if (ok) done.add(id);
    write.resolve(ok ? 'written' : 'lease-lost');
  }
}
