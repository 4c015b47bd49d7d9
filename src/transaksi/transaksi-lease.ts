import { performance } from 'node:perf_hooks';
import { Logger } from '@nestjs/common';
import type { MetricsService } from '../metrics/metrics.service';
import type { TransaksiQueueService } from './transaksi-queue.service';
import type { Transaksi } from './transaksi.entity';

/**
 * A claimed row this instance is working on. `endsAt` is this process's conservative estimate of
 * the lease end on its monotonic clock: measured from before the claim (or renewal) was sent, so
 * it is never later than the database's locked_until, whatever the wall clocks say. Aborting
 * `controller` asks the provider call to stop.
 */
export class HeldLease {
  readonly controller = new AbortController();
  lost = false;

  constructor(
    readonly row: Transaksi,
    public endsAt: number,
  ) {}

  leftMs(): number {
    return this.endsAt - performance.now();
  }
}

/** Thrown into a provider call whose row was taken by another instance (this one stalled). */
export class LeaseLostError extends Error {
  constructor(id: number) {
    super(`transaksi ${id}: lease lost to another instance`);
    this.name = 'LeaseLostError';
  }
}

/**
 * The heartbeat. Every quarter lease, the rows whose lease is half gone are renewed in one
 * fenced statement, for as long as their provider call runs: a slow call, or one that ignores
 * its abort, keeps its row, and no other instance starts a second call meanwhile. A row the
 * renewal no longer finds ours (this process was stopped past its lease and another instance
 * took it) is marked lost and its call aborted; its result will not be written (fenced).
 */
export class LeaseKeeper {
  private readonly logger = new Logger('TransaksiLeases');
  private readonly held = new Map<number, HeldLease>();
  private timer?: NodeJS.Timeout;
  private renewing = false;
  private failing = false;

  constructor(
    private readonly queue: TransaksiQueueService,
    private readonly metrics: MetricsService,
    private readonly leaseMs: number,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => void this.renew(), Math.max(50, Math.floor(this.leaseMs / 4)));
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** `claimStartedAt`: performance.now() taken before the claim was sent. */
  hold(row: Transaksi, claimStartedAt: number): HeldLease {
    const lease = new HeldLease(row, claimStartedAt + this.leaseMs);
    this.held.set(row.id, lease);
    return lease;
  }

  release(id: number): void {
    this.held.delete(id);
  }

  /**
   * Rows still running here. The claim must never take them back as expired leases, whatever
   * locked_until says (a renewal failed or came late, or someone edited the row): this
   * instance's own call is still in flight, and claiming would spend an attempt without a call.
   */
  heldIds(): number[] {
    return [...this.held.keys()];
  }

  private async renew(): Promise<void> {
    // Past its end the lease may already be someone else's: ask the call to stop (best effort),
    // whether the last renewal failed or has not come back at all (a stalled connection, no
    // free connection in the pool: this instance waits while other instances claim the row).
    for (const lease of this.held.values()) {
      if (lease.leftMs() <= 0 && !lease.controller.signal.aborted) lease.controller.abort(new LeaseLostError(lease.row.id));
    }
    if (this.renewing || this.held.size === 0) return;
    const due = [...this.held.values()].filter((lease) => !lease.lost && lease.leftMs() < this.leaseMs / 2);
    if (due.length === 0) return;
    this.renewing = true;
    const sentAt = performance.now();
    try {
      const still = await this.queue.extendLeases(due.map((lease) => lease.row.id));
      for (const lease of due) {
        if (still.has(lease.row.id)) lease.endsAt = sentAt + this.leaseMs;
        else this.lose(lease);
      }
      if (this.failing) this.logger.log('lease renewals work again');
      this.failing = false;
    } catch (err) {
      if (!this.failing) this.logger.error(`lease renewal failed (${(err as Error).message}); retrying every ${Math.floor(this.leaseMs / 4)} ms`);
      this.failing = true;
      for (const lease of due) if (lease.leftMs() <= 0) lease.controller.abort(new LeaseLostError(lease.row.id));
    } finally {
      this.renewing = false;
    }
  }

  private lose(lease: HeldLease): void {
    lease.lost = true;
    this.metrics.leaseLost.inc();
    this.logger.warn(`transaksi ${lease.row.id}: lease lost while its provider call was running (this instance stalled?); its result will not be written`);
    lease.controller.abort(new LeaseLostError(lease.row.id));
  }
}
