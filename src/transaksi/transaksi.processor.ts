import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { appConfig, AppConfig } from '../config/app.config';
import { PpobProvider } from '../ppob/ppob.provider';
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
      for (const row of rows) this.track(this.processOne(row));
      if (!this.backlog) return;
    }
  }

  private track(work: Promise<void>): void {
    this.inFlight.add(work);
    void work.finally(() => {
      this.inFlight.delete(work);
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
        await this.finish(row, { status: 'gagal', hasil: `Gagal: provider tidak merespons setelah ${maxAttempts} percobaan` });
        return;
      }
      let result;
      try {
        result = await this.provider.execute({
          idempotencyKey: String(row.id),
          transaksiId: row.id,
          produkId: row.produkId,
          nomorTujuan: row.nomorTujuan,
          nominal: row.nominal,
        });
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
    // A claim in progress finishes and hands its rows back before the pool closes.
    await this.currentTick;
    if (this.inFlight.size === 0) return;
    this.logger.log(`shutdown: waiting for ${this.inFlight.size} in-flight transaksi`);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.config.processor.shutdownTimeoutMs);
    });
    const done = await Promise.race([Promise.allSettled([...this.inFlight]).then(() => 'done' as const), timeout]);
    clearTimeout(timer);
    if (done === 'timeout') {
      this.logger.warn(`shutdown: ${this.inFlight.size} transaksi still running; their leases will expire and they will be retried`);
    }
  }
}
