import { setTimeout as sleep } from 'node:timers/promises';
import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { withTimeout } from '../common/timeout';
import { appConfig, AppConfig } from '../config/app.config';
import { requestDeadlines } from '../http/request-deadline';
import { MetricsService } from '../metrics/metrics.service';
import { PpobProvider, PpobResult, PpobUnavailableError } from '../ppob/ppob.provider';
import { TransaksiQueueService } from './transaksi-queue.service';
import { Transaksi } from './transaksi.entity';

const INTERVAL_NAME = 'transaksi-processor';
/** Claim backoff while the database fails: 250 ms doubling up to this, with jitter. */
const MAX_CLAIM_BACKOFF_MS = 5_000;
/** A result that could not be written is retried in-process until this close to its lease end. */
const FINISH_LEASE_MARGIN_MS = 1_000;

/**
 * Moves purchases from `pending` to `sukses`/`gagal`. Every instance runs one; they share the
 * work through the claim (FOR UPDATE SKIP LOCKED on MySQL/MariaDB), never through this process's
 * memory.
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
  private readonly inFlightIds = new Set<number>();
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
  ) {}

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
    this.wake();
  }

  /** Asks for a tick as soon as possible; calls while a tick runs coalesce into one more. */
  wake(): void {
    if (!this.started || this.stopping || Date.now() < this.pausedUntil) return;
    if (this.ticking) {
      this.tickAgain = true;
      return;
    }
    // Outside the request that woke it: a purchase's deadline must not cancel the processor's work.
    this.currentTick = requestDeadlines.detached(() => this.tick());
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
      const wanted = Math.min(free, batchSize);
      const endTimer = this.metrics.claimDuration.startTimer();
      const rows = await this.queue.claim(wanted);
      endTimer();
      this.recordClaim(rows);
      if (this.stopping) {
        await this.queue.release(rows);
        return;
      }
      this.backlog = rows.length === wanted;
      for (const row of rows) {
        // A row of ours whose lease ran out while its provider call is still running comes
        // back from the expired-lease claim; the running call still owns it (same locked_by).
        if (this.inFlightIds.has(row.id)) continue;
        this.track(row.id, this.processOne(row));
      }
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

  private track(id: number, work: Promise<void>): void {
    this.inFlight.add(work);
    this.inFlightIds.add(id);
    this.metrics.inFlight.set(this.inFlight.size);
    void work.finally(() => {
      this.inFlight.delete(work);
      this.inFlightIds.delete(id);
      this.metrics.inFlight.set(this.inFlight.size);
      if (this.backlog) this.wake();
    });
  }

  /**
   * One claimed row, idempotent: the provider is called with the transaksi id as its key, and
   * the result is written only while this instance still holds the lease.
   */
  async processOne(row: Transaksi): Promise<void> {
    const { maxAttempts } = this.config.processor;
    try {
      if (row.attempts > maxAttempts) {
        await this.giveUp(row);
        return;
      }
      let result: PpobResult;
      try {
        result = await this.callProvider(row);
      } catch (err) {
        this.metrics.providerErrors.inc();
        const retryInMs = Math.min(this.config.processor.leaseMs, 500 * 2 ** (row.attempts - 1));
        this.logger.warn(`transaksi ${row.id} attempt ${row.attempts}: provider error (${(err as Error).message}); retry in ${retryInMs} ms`);
        await this.queue.postpone(row, retryInMs, `Percobaan ${row.attempts} gagal: ${(err as Error).message}`);
        return;
      }
      await this.finish(row, result);
    } catch (err) {
      // Database trouble while writing: the row keeps its lease and is retried when it expires.
      this.logger.error(`transaksi ${row.id}: could not record the result (${(err as Error).message}); it will be retried after its lease`);
    }
  }

  /**
   * Out of attempts. An earlier attempt may still have been delivered (its instance died after
   * the provider answered, before the result was saved), so ask the upstream first: refund only
   * when it says it never executed the purchase. While it cannot say, the row stays `proses`
   * and is asked again later: a refund for a delivered product would lose money.
   */
  private async giveUp(row: Transaksi): Promise<void> {
    let known: PpobResult | null;
    try {
      known = await this.provider.inquire(String(row.id));
    } catch (err) {
      const retryInMs = this.config.processor.leaseMs;
      this.logger.warn(`transaksi ${row.id}: out of attempts and the provider status inquiry failed (${(err as Error).message}); asking again in ${retryInMs} ms`);
      await this.queue.postpone(row, retryInMs, `Menunggu status dari provider: ${(err as Error).message}`);
      return;
    }
    const { maxAttempts } = this.config.processor;
    await this.finish(row, known ?? { status: 'gagal', hasil: `Gagal: provider tidak merespons setelah ${maxAttempts} percobaan` });
  }

  /**
   * A provider call may take at most half the lease: past that its outcome is treated as
   * unknown and the row is retried (same idempotency key). The call is aborted, and the row is
   * not handed back until the call has actually ended (up to a quarter lease more, still inside
   * our lease), so a retry never runs while the abandoned call could still execute the purchase.
   * If the call finishes with an outcome after all, that outcome is kept.
   */
  private async callProvider(row: Transaksi): Promise<PpobResult> {
    const { leaseMs } = this.config.processor;
    const timeoutMs = Math.floor(leaseMs / 2);
    const controller = new AbortController();
    const call = this.provider.execute(
      {
        idempotencyKey: String(row.id),
        transaksiId: row.id,
        produkId: row.produkId,
        nomorTujuan: row.nomorTujuan,
        nominal: row.nominal,
        attempt: row.attempts,
      },
      controller.signal,
    );
    // Made only when needed: an Error captures a stack trace, and this runs for every purchase.
    let timedOut: PpobUnavailableError | undefined;
    const timeoutError = () => (timedOut ??= new PpobUnavailableError(`provider did not answer within ${timeoutMs} ms`));
    try {
      return await withTimeout(call, timeoutMs, timeoutError);
    } catch (err) {
      if (err !== timedOut) throw err;
      controller.abort(timedOut);
      const late = await withTimeout(call, Math.floor(leaseMs / 4), timeoutError).catch(() => null);
      if (late) return late;
      throw timedOut;
    }
  }

  /**
   * Writes the result. The provider has answered, so a database error here is retried from
   * memory with backoff while the lease lasts (a short outage then costs seconds, not a lease);
   * after that the row is left to the lease and the provider's record answers the retry.
   * The write is fenced, so repeating it is safe: a repeat that finds the row already final
   * reports a lost lease and writes nothing.
   */
  private async finish(row: Transaksi, result: PpobResult): Promise<void> {
    const leaseEnd = (row.lockedUntil?.getTime() ?? Date.now()) - FINISH_LEASE_MARGIN_MS;
    for (let attempt = 1; ; attempt++) {
      try {
        const outcome = await this.queue.finalize(row, result);
        if (outcome === 'written') {
          this.metrics.processed.inc({ status: result.status });
        } else {
          this.metrics.leaseLost.inc();
          this.logger.warn(`transaksi ${row.id}: not written, it is no longer leased to this instance (or already final)`);
        }
        return;
      } catch (err) {
        const delayMs = Math.min(2_000, 100 * 2 ** attempt);
        if (this.stopping || Date.now() + delayMs > leaseEnd) throw err;
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
    if (this.inFlight.size === 0) return;
    this.logger.log(`shutdown: waiting for ${this.inFlight.size} in-flight transaksi`);
    if ((await settleWithin(Promise.allSettled([...this.inFlight]), deadline)) === 'timeout') {
      this.logger.warn(`shutdown: ${this.inFlight.size} transaksi still running; their leases will expire and they will be retried`);
    }
  }
}

/** Waits for `work` until `deadline` (epoch ms); never rejects. */
function settleWithin(work: Promise<unknown>, deadline: number): Promise<'done' | 'timeout'> {
  const settled = work.then(() => 'done' as const, () => 'done' as const);
  return withTimeout(settled, deadline - Date.now(), () => new Error('shutdown bound reached')).catch(() => 'timeout' as const);
}
