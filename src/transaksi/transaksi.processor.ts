import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { withTimeout } from '../common/timeout';
import { appConfig, AppConfig } from '../config/app.config';
import { MetricsService } from '../metrics/metrics.service';
import { PpobProvider } from '../ppob/ppob.provider';
import { runAttempt } from './transaksi-attempt';
import { HeldLease, LeaseKeeper } from './transaksi-lease';
import { AttemptReport, decideOutcome, Outcome, OutcomePolicy } from './transaksi-outcome';
import { FinalStatus, TransaksiQueueService } from './transaksi-queue.service';
import { Transaksi } from './transaksi.entity';

const INTERVAL_NAME = 'transaksi-processor';
/** Claim backoff while the database fails: 250 ms doubling up to this, with jitter. */
const MAX_CLAIM_BACKOFF_MS = 5_000;
/** A result that could not be written is retried in-process until this close to its lease end. */
const FINISH_LEASE_MARGIN_MS = 1_000;

/**
 * Moves purchases from `pending` to `sukses`/`gagal`. Every instance runs one; they share the
 * work through the claim (FOR UPDATE SKIP LOCKED on MySQL/MariaDB), never through this process's
 * memory. This class schedules; what happens to a row is decided in transaksi-outcome.ts, the
 * call itself is transaksi-attempt.ts, the lease heartbeat transaksi-lease.ts, and the SQL is
 * TransaksiRepository's.
 *
 * A tick claims at most as many rows as there are free execution slots, starts each one and
 * returns; a finished row frees a slot and, when the last claim was full, wakes the next tick,
 * so a backlog drains at full concurrency without waiting for the interval. /beli on this
 * instance wakes it too, so a new purchase is picked up at once.
 */
@Injectable()
export class TransaksiProcessor implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(TransaksiProcessor.name);
  private readonly inFlight = new Set<Promise<void>>();
  private readonly leases: LeaseKeeper;
  private readonly policy: OutcomePolicy;
  private ticking = false;
  private tickAgain = false;
  private backlog = false;
  private stopping = false;
  private started = false;
  private currentTick: Promise<void> = Promise.resolve();
  /** Consecutive failed claims, and no claim before this time (epoch ms). */
  private claimFailures = 0;
  private pausedUntil = 0;

  constructor(
    private readonly queue: TransaksiQueueService,
    private readonly provider: PpobProvider,
    private readonly scheduler: SchedulerRegistry,
    private readonly metrics: MetricsService,
    @Inject(appConfig.KEY) private readonly config: AppConfig,
  ) {
    this.leases = new LeaseKeeper(queue, metrics, config.processor.leaseMs);
    this.policy = { maxAttempts: config.processor.maxAttempts, leaseMs: config.processor.leaseMs };
  }

  /** In-flight provider calls right now. */
  get activeCount(): number {
    return this.inFlight.size;
  }

  onApplicationBootstrap(): void {
    if (!this.config.processor.enabled) return;
    // The interval comes from configuration, so it is registered here rather than with a
    // decorator literal; it is the fallback for rows created by other instances and for
    // expired leases.
    this.scheduler.addInterval(INTERVAL_NAME, setInterval(() => this.wake(), this.config.processor.intervalMs));
    this.started = true;
    this.leases.start();
    this.wake();
  }

  /** Asks for a tick as soon as possible; calls while a tick runs coalesce into one more. */
  wake(): void {
    if (!this.started || this.stopping || Date.now() < this.pausedUntil) return;
    if (this.ticking) {
      this.tickAgain = true;
      return;
    }
    this.currentTick = this.tick();
  }

  /** Runs ticks until there is nothing more to claim; resolves when claiming is done (not the rows). */
  async tick(): Promise<void> {
    if (this.ticking) return;
    this.ticking = true;
    try {
      do {
        this.tickAgain = false;
        await this.claimIntoFreeSlots();
      } while (this.tickAgain && !this.stopping);
      if (this.claimFailures > 0) {
        this.logger.log(`claims resumed after ${this.claimFailures} failed attempt(s)`);
        this.claimFailures = 0;
      }
    } catch (err) {
      this.backOff(err as Error);
    } finally {
      this.ticking = false;
    }
  }

  /**
   * The database is away or failing: pause claiming with a growing, jittered delay (the interval
   * keeps calling wake(), which does nothing until the pause is over) and say so once, not on
   * every tick. The processor resumes by itself when a claim succeeds again.
   */
  private backOff(err: Error): void {
    this.claimFailures++;
    this.metrics.claimFailures.inc();
    const delayMs = Math.min(MAX_CLAIM_BACKOFF_MS, 250 * 2 ** Math.min(this.claimFailures - 1, 10)) * (0.75 + Math.random() / 2);
    this.pausedUntil = Date.now() + delayMs;
    const message = `claim failed (${err.message}); pausing claims for ${Math.round(delayMs)} ms`;
    if (this.claimFailures === 1) this.logger.error(message);
    else this.logger.debug(message);
  }

  private async claimIntoFreeSlots(): Promise<void> {
    const { concurrency, batchSize } = this.config.processor;
    while (!this.stopping) {
      const free = concurrency - this.inFlight.size;
      if (free <= 0) return;
      // At most half the slots per claim, so the slots fill from two claims at different times
      // and one half's claim runs while the other half's calls and final writes do. With all the
      // slots in one claim, the next claim could start only once that whole batch had been
      // written, and the processor idled through every claim (drain at 0 ms upstream: about
      // 2,000 trx/s with one claim of 100, about 3,000 with claims of 50).
      const wanted = Math.min(free, batchSize, Math.max(1, Math.ceil(concurrency / 2)));
      const endTimer = this.metrics.claimDuration.startTimer();
      const claimStartedAt = performance.now();
      const rows = await this.queue.claim(wanted, this.leases.heldIds());
      endTimer();
      this.recordClaim(rows);
      if (this.stopping) {
        await this.queue.release(rows);
        return;
      }
      this.backlog = rows.length === wanted;
      for (const row of rows) this.track(this.leases.hold(row, claimStartedAt));
      if (!this.backlog) return;
    }
  }

  private recordClaim(rows: Transaksi[]): void {
    if (rows.length === 0) return;
    this.metrics.claimed.inc(rows.length);
    const now = Date.now();
    for (const row of rows) {
      if (row.attempts === 1) this.metrics.pickup.observe(Math.max(0, now - row.waktu.getTime()) / 1000);
    }
  }

  private track(lease: HeldLease): void {
    const work = this.processOne(lease);
    this.inFlight.add(work);
    this.metrics.inFlight.set(this.inFlight.size);
    void work.finally(() => {
      this.leases.release(lease.row.id);
      this.inFlight.delete(work);
      this.metrics.inFlight.set(this.inFlight.size);
      if (this.backlog) this.wake();
    });
  }

  /**
   * One claimed row, idempotent: the upstream is called (or asked) with the transaksi id as its
   * key, the outcome is decided by decideOutcome(), and written only while this instance still
   * holds the lease.
   */
  async processOne(lease: HeldLease): Promise<void> {
    const { row } = lease;
    try {
      const report = await runAttempt(this.provider, lease, this.policy, (deadlineMs) => {
        this.metrics.callsOverdue.inc();
        this.logger.warn(`transaksi ${row.id} attempt ${row.attempts}: no answer within ${deadlineMs} ms; aborted, the row stays held until the call has ended`);
      });
      this.logReport(row, report);
      const outcome = decideOutcome(report, row.attempts, this.policy);
      this.metrics.outcomes.inc({ outcome: outcome.type });
      await this.carryOut(lease, outcome);
    } catch (err) {
      // Database trouble while writing: the row keeps its lease and is retried when it expires.
      this.logger.error(`transaksi ${row.id}: could not record the outcome (${(err as Error).message}); it will be retried after its lease`);
    }
  }

  /** The upstream's own words and error details go to the log only, never to hasil_eksekusi. */
  private logReport(row: Transaksi, report: AttemptReport): void {
    if (report.kind === 'unknown') {
      this.metrics.providerErrors.inc();
      this.logger.warn(`transaksi ${row.id} attempt ${row.attempts}: outcome unknown (${report.reason})`);
    } else if (report.kind === 'result' && report.result.status === 'gagal') {
      this.logger.debug(`transaksi ${row.id}: upstream says gagal (${report.result.hasil})`);
    } else if (report.kind !== 'result') {
      this.logger.log(`transaksi ${row.id} attempt ${row.attempts}: upstream says ${report.kind}`);
    }
  }

  private async carryOut(lease: HeldLease, outcome: Outcome): Promise<void> {
    const { row } = lease;
    switch (outcome.type) {
      case 'sukses':
        return this.finish(lease, { status: 'sukses', hasil: outcome.hasil, refund: false, ...supplierFields(outcome) });
      case 'gagal-refund':
        return this.finish(lease, { status: 'gagal', hasil: outcome.hasil, refund: true, ...supplierFields(outcome) });
      case 'retry-later':
      case 'wait-upstream':
        if ((await this.queue.postpone(row, outcome.inMs, outcome.hasil)) === 'lease-lost') this.leaseLost(row);
        return;
      case 'needs-operator':
        if ((await this.queue.markNeedsOperator(row, outcome.hasil)) === 'lease-lost') {
          this.leaseLost(row);
          return;
        }
        this.metrics.needsOperator.inc();
        this.logger.error(
          `transaksi ${row.id}: NEEDS OPERATOR after ${row.attempts} claims: the upstream cannot say whether it was delivered; it stays proses and charged (perlu_operator)`,
        );
        return;
    }
  }

  private leaseLost(row: Transaksi): void {
    this.metrics.leaseLost.inc();
    this.logger.warn(`transaksi ${row.id}: not written, it is no longer leased to this instance (or already final)`);
  }

  /**
   * Writes a final status. The upstream has answered, so a database error here is retried from
   * memory with backoff while the lease lasts (a short outage then costs seconds, not a lease);
   * after that the row is left to the lease and the provider's record answers the retry.
   * The write is fenced, so repeating it is safe: a repeat that finds the row already final
   * reports a lost lease and writes nothing.
   */
  private async finish(lease: HeldLease, status: FinalStatus): Promise<void> {
    const { row } = lease;
    for (let attempt = 1; ; attempt++) {
      try {
        const written = await this.queue.finalize(row, status);
        if (written === 'written') this.metrics.processed.inc({ status: status.status });
        else this.leaseLost(row);
        return;
      } catch (err) {
        const delayMs = Math.min(2_000, 100 * 2 ** attempt);
        if (this.stopping || lease.lost || delayMs + FINISH_LEASE_MARGIN_MS > lease.leftMs()) throw err;
        this.logger.warn(`transaksi ${row.id}: writing the result failed (${(err as Error).message}); retrying in ${delayMs} ms`);
        await sleep(delayMs);
      }
    }
  }

  /**
   * Shutdown: stop claiming, then give in-flight provider calls up to SHUTDOWN_TIMEOUT_MS to
   * finish. Anything still running after that keeps its lease and is retried elsewhere when the
   * lease expires; the upstream's idempotency key keeps that retry from delivering twice.
   */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    if (this.started && this.scheduler.doesExist('interval', INTERVAL_NAME)) this.scheduler.deleteInterval(INTERVAL_NAME);
    const deadline = Date.now() + this.config.processor.shutdownTimeoutMs;
    // A claim in progress finishes and hands its rows back before the pool closes, unless the
    // database does not answer within the bound: then its rows keep their lease and are retried.
    if ((await settleWithin(this.currentTick, deadline)) === 'timeout') {
      this.logger.warn('shutdown: a claim did not finish in time; its rows will be retried after their lease');
    }
    if (this.inFlight.size > 0) {
      this.logger.log(`shutdown: waiting for ${this.inFlight.size} in-flight transaksi`);
      if ((await settleWithin(Promise.allSettled([...this.inFlight]), deadline)) === 'timeout') {
        this.logger.warn(`shutdown: ${this.inFlight.size} transaksi still running; their leases will expire and they will be retried`);
      }
    }
    this.leases.stop();
  }
}

/** The serial number and the supplier's rc and message, only when the outcome has them. */
function supplierFields(outcome: { sn?: string | null; upstream?: FinalStatus['upstream'] }): Pick<FinalStatus, 'sn' | 'upstream'> {
  return { ...(outcome.sn ? { sn: outcome.sn } : {}), ...(outcome.upstream ? { upstream: outcome.upstream } : {}) };
}

/** Waits for `work` until `deadline` (epoch ms); never rejects. */
function settleWithin(work: Promise<unknown>, deadline: number): Promise<'done' | 'timeout'> {
  const settled = work.then(() => 'done' as const, () => 'done' as const);
  return withTimeout(settled, deadline - Date.now(), () => new Error('shutdown bound reached')).catch(() => 'timeout' as const);
}
