import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { APP_VERSION } from '../common/app-version';
import { DomainError } from '../common/domain-error';
import { SecretBox } from '../common/secret-box';
import { appConfig, AppConfig } from '../config/app.config';
import { MetricsService } from '../metrics/metrics.service';
import { nextStep } from './callback-retry';
import { sendCallback, SendResult } from './callback-sender';
import { signCallback } from './callback-signature';
import { checkCallbackTarget, parseCallbackUrl } from './callback-url';
import { AttemptResult, CallbackEndpointRow, CallbackEvent, CallbackRepository } from './callback.repository';
import { HostResolver } from './host-resolver';

const INTERVAL_NAME = 'callback-dispatcher';
const USER_AGENT = `ppob-api/${APP_VERSION}`;

/**
 * Delivers the outbox. Every instance runs one; they share the work only through the claim, so
 * two instances never send one attempt. A claim takes at most as many events as there are free
 * slots; each is sent on its own, and results are written in groups (one transaction for all
 * that finished meanwhile). An instance that dies mid-delivery leaves its events `sending`; when
 * their lease runs out another instance sends them again with the same webhook-id, which is
 * what receivers deduplicate on.
 */
@Injectable()
export class CallbackDispatcher implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(CallbackDispatcher.name);
  private readonly inFlight = new Set<Promise<void>>();
  private readonly results: AttemptResult[] = [];
  private readonly instanceId: string;
  private started = false;
  private stopping = false;
  private ticking = false;
  private tickAgain = false;
  private writing: Promise<void> | null = null;
  private failures = 0;

  constructor(
    private readonly repository: CallbackRepository,
    private readonly secrets: SecretBox,
    private readonly metrics: MetricsService,
    private readonly scheduler: SchedulerRegistry,
    private readonly resolver: HostResolver,
    @Inject(appConfig.KEY) private readonly config: AppConfig,
  ) {
    this.instanceId = config.processor.instanceId;
  }

  onApplicationBootstrap(): void {
    if (!this.config.callbacks.enabled) return;
    this.scheduler.addInterval(INTERVAL_NAME, setInterval(() => this.wake(), this.config.callbacks.intervalMs));
    this.started = true;
    this.wake();
  }

  wake(): void {
    if (!this.started || this.stopping) return;
    if (this.ticking) {
      this.tickAgain = true;
      return;
    }
    void this.tick();
  }

  private async tick(): Promise<void> {
    this.ticking = true;
    try {
      do {
        this.tickAgain = false;
        const free = this.config.callbacks.concurrency - this.inFlight.size;
        if (free <= 0) break;
        const events = await this.repository.claimDue(this.instanceId, free, this.config.callbacks.leaseMs);
        if (this.failures > 0) this.logger.log(`callback claims resumed after ${this.failures} failure(s)`);
        this.failures = 0;
        if (events.length === 0) break;
        const endpoints = await this.repository.findEndpoints([...new Set(events.map((e) => e.userId))]);
        for (const event of events) this.track(this.deliver(event, endpoints.get(event.userId) ?? null));
        // A full claim means more may be due: claim again as soon as slots free up.
        if (events.length === free) this.tickAgain = true;
      } while (this.tickAgain && !this.stopping && this.inFlight.size < this.config.callbacks.concurrency);
    } catch (err) {
      this.failures++;
      this.metrics.callbackFailures.inc();
      if (this.failures === 1) this.logger.error(`callback claim failed (${(err as Error).message}); retrying on the next interval`);
    } finally {
      this.ticking = false;
    }
  }

  private track(work: Promise<void>): void {
    this.inFlight.add(work);
    void work.finally(() => {
      this.inFlight.delete(work);
      this.wake();
    });
  }

  private async deliver(event: CallbackEvent, endpoint: CallbackEndpointRow | null): Promise<void> {
    const sent = await this.attempt(event, endpoint);
    const next = nextStep(event.attempts, sent, this.config.callbacks.retryScheduleMs);
    this.metrics.callbackDeliveries.inc({ result: next.status === 'pending' ? 'retry' : next.status });
    if (next.status === 'gagal') this.logger.warn(`callback ${event.msgId} (event ${event.id}) failed for good after attempt ${event.attempts}`);
    this.results.push({ event, statusCode: sent.statusCode, durationMs: sent.durationMs, responseBody: sent.body, error: sent.error, next });
    await this.flush();
  }

  /**
   * One HTTP attempt; never throws (a refusal or a network error is a failed attempt). The DNS
   * lookup and the exchange share one CALLBACK_TIMEOUT_MS, so a slow resolver is a failed
   * attempt, retried on schedule, and the slot is free again within the timeout.
   */
  private async attempt(event: CallbackEvent, endpoint: CallbackEndpointRow | null): Promise<SendResult> {
    const started = performance.now();
    const failed = (error: string): SendResult => ({ statusCode: null, durationMs: Math.round(performance.now() - started), body: null, error, retryAfterMs: null });
    if (!endpoint) return failed('no callback secret: the endpoint was deleted (PUT /callback sets one)');
    const timeoutMs = this.config.callbacks.timeoutMs;
    let target;
    try {
      // The SSRF rules again at dial time: the name may resolve elsewhere than when it was saved.
      target = await checkCallbackTarget(parseCallbackUrl(event.url), this.config.callbacks.allowPrivate, this.resolver, timeoutMs);
    } catch (err) {
      return failed(err instanceof DomainError ? err.detail : 'url check failed');
    }
    const timestamp = Math.floor(Date.now() / 1000);
    const signing = [this.secrets.open(endpoint.secretEnc)];
    if (endpoint.oldSecretEnc && endpoint.oldSecretUntil && endpoint.oldSecretUntil.getTime() > Date.now()) signing.push(this.secrets.open(endpoint.oldSecretEnc));
    const headers = {
      'content-type': 'application/json',
      'user-agent': USER_AGENT,
      'webhook-id': event.msgId,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signCallback(signing, event.msgId, timestamp, event.payload),
    };
    const lookupMs = performance.now() - started;
    const sent = await sendCallback(target, headers, event.payload, Math.max(1, Math.round(timeoutMs - lookupMs)));
    return { ...sent, durationMs: sent.durationMs + lookupMs };
  }

  /** Writes every result gathered so far in one transaction; calls meanwhile join the next. */
  private async flush(): Promise<void> {
    while (this.writing) await this.writing;
    if (this.results.length === 0) return;
    const batch = this.results.splice(0);
    this.writing = this.repository.complete(this.instanceId, batch).catch((err: Error) => {
      // The events stay `sending` until their lease ends, then they are sent again (same id):
      // a lost write costs a duplicate delivery, never a lost event.
      this.metrics.callbackFailures.inc();
      this.logger.error(`writing ${batch.length} callback result(s) failed (${err.message}); they will be sent again after their lease`);
    });
    try {
      await this.writing;
    } finally {
      this.writing = null;
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    if (this.started) this.scheduler.deleteInterval(INTERVAL_NAME);
    const bound = new Promise((resolve) => setTimeout(resolve, this.config.processor.shutdownTimeoutMs).unref());
    await Promise.race([Promise.allSettled([...this.inFlight]), bound]);
    await this.flush();
  }
}
