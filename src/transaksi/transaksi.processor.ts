import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { withTimeout } from '../common/timeout';
import { appConfig, AppConfig } from '../config/app.config';
import { PpobProvider, PpobResult, PpobUnavailableError } from '../ppob/ppob.provider';
import { TransaksiQueueService } from './transaksi-queue.service';
import { Transaksi } from './transaksi.entity';

const INTERVAL_NAME = 'transaksi-processor';

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

  constructor(
    private readonly queue: TransaksiQueueService,
    private readonly provider: PpobProvider,
    private readonly scheduler: SchedulerRegistry,
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
    if (!this.started || this.stopping) return;
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
    } catch (err) {
      this.logger.error(`claim failed: ${(err as Error).message}`);
    } finally {
      this.ticking = false;
    }
  }

  private async claimIntoFreeSlots(): Promise<void> {
    const { concurrency, batchSize } = this.config.processor;
    while (!this.stopping) {
      const free = concurrency - this.inFlight.size;
      if (free <= 0) return;
      const wanted = Math.min(free, batchSize);
      const rows = await this.queue.claim(wanted);
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

  private track(id: number, work: Promise<void>): void {
    this.inFlight.add(work);
    this.inFlightIds.add(id);
    void work.finally(() => {
      this.inFlight.delete(work);
      this.inFlightIds.delete(id);
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
   * unknown and the row is retried (same idempotency key) before another instance could take
   * it over, so two instances never run one transaksi at the same time.
   */
  private callProvider(row: Transaksi): Promise<PpobResult> {
    const timeoutMs = Math.floor(this.config.processor.leaseMs / 2);
    return withTimeout(
      this.provider.execute({
        idempotencyKey: String(row.id),
        transaksiId: row.id,
        produkId: row.produkId,
        nomorTujuan: row.nomorTujuan,
        nominal: row.nominal,
      }),
      timeoutMs,
      () => new PpobUnavailableError(`provider did not answer within ${timeoutMs} ms`),
    );
  }

  private async finish(row: Transaksi, result: { status: 'sukses' | 'gagal'; hasil: string }): Promise<void> {
    const outcome = await this.queue.finalize(row, result);
    if (outcome === 'lease-lost') {
      this.logger.warn(`transaksi ${row.id}: lease lost before the result was written; left to its new owner`);
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
