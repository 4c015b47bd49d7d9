import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import Redis from 'ioredis';
import { appConfig, AppConfig } from '../config/app.config';
import { MetricsService } from '../metrics/metrics.service';

const CONNECT_WAIT_MS = 2_000;
/** A block heard from another instance lasts at most this, whatever the message says. */
const MAX_BLOCK_MS = 10 * 60_000;

export type BlockListener = (key: string, blockMs: number) => void;

/**
 * Tells every instance when one of them blocks a client for failed key lookups, so the block
 * holds everywhere at once, not only from each instance's own next failure. Redis pub/sub on
 * `<RATE_LIMIT_REDIS_PREFIX>auth-block`: the instance that blocks publishes once, every
 * instance keeps the block in its own memory. So a request costs no Redis round trip to learn
 * of a block; only a block costs one message. A subscriber connection cannot send other
 * commands, hence two connections of its own (the counters' connection belongs to the store).
 *
 * Best effort and fail open, like the counters: while Redis is away nothing is heard, each
 * instance then blocks at its own next failure (the counts stay shared); failures are logged
 * once per outage and counted in ppob_rate_limit_block_channel_errors_total. A message missed
 * while disconnected is not replayed: the block it announced lasts a minute.
 */
@Injectable()
export class AuthBlockChannel implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(AuthBlockChannel.name);
  private readonly publisher: Redis | null = null;
  private readonly subscriber: Redis | null = null;
  private readonly channel: string;
  /** Our own messages come back to us; the block is already in our memory. */
  private readonly sender = randomUUID();
  private listener: BlockListener | null = null;
  private subscribed: Promise<void> | null = null;
  private failing = false;

  constructor(
    @Inject(appConfig.KEY) config: AppConfig,
    private readonly metrics: MetricsService,
  ) {
    this.channel = `${config.rateLimit.redisPrefix}auth-block`;
    const url = config.rateLimit.redisUrl;
    if (!url) return;
    const options = {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: 2_000,
      // Subscribed again on every connection ('ready' below), including the first.
      autoResubscribe: false,
      retryStrategy: (times: number) => Math.min(times * 200, 5_000),
    };
    this.publisher = new Redis(url, options);
    this.subscriber = new Redis(url, options);
    this.publisher.on('error', (err: Error) => this.fail(err));
    this.subscriber.on('error', (err: Error) => this.fail(err));
    this.subscriber.on('message', (channel: string, message: string) => {
      if (channel === this.channel) this.receive(message);
    });
    this.subscribed = new Promise<void>((resolve) => {
      this.subscriber!.on('ready', () => {
        this.subscriber!.subscribe(this.channel).then(
          () => {
            this.recovered();
            resolve();
          },
          (err: Error) => this.fail(err),
        );
      });
    });
  }

  /** Where blocks heard from other instances go (the limiter's memory). */
  onBlock(listener: BlockListener): void {
    this.listener = listener;
  }

  /** Announces a block to the other instances; never waits for Redis, never throws. */
  publish(key: string, blockMs: number): void {
    if (!this.publisher) return;
    this.publisher.publish(this.channel, JSON.stringify({ from: this.sender, key, ms: blockMs })).then(
      () => this.recovered(),
      (err: Error) => this.fail(err),
    );
  }

  /** Waits a moment for the subscription, so a block right after boot is heard; a Redis that is down does not hold the boot up. */
  async onModuleInit(): Promise<void> {
    if (!this.subscribed) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.subscribed, new Promise<void>((resolve) => (timer = setTimeout(resolve, CONNECT_WAIT_MS)))]);
    clearTimeout(timer);
  }

  onApplicationShutdown(): void {
    for (const redis of [this.publisher, this.subscriber]) {
      if (!redis) continue;
      // No reconnect may start after this, even from a connection attempt still in flight.
      redis.options.retryStrategy = () => null;
      redis.disconnect(false);
    }
  }

  /**
   * Runs inside ioredis's 'message' event: a throw here would be an uncaught exception, ending
   * every subscribed instance at once, so anything but the expected object is ignored.
   */
  private receive(message: string): void {
    let value: unknown;
    try {
      value = JSON.parse(message);
    } catch {
      return;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return;
    const parsed = value as { from?: unknown; key?: unknown; ms?: unknown };
    if (parsed.from === this.sender || typeof parsed.key !== 'string' || parsed.key.length > 64) return;
    if (typeof parsed.ms !== 'number' || !Number.isFinite(parsed.ms) || parsed.ms <= 0) return;
    this.listener?.(parsed.key, Math.min(parsed.ms, MAX_BLOCK_MS));
  }

  private fail(err: Error): void {
    this.metrics.rateLimitBlockChannelErrors.inc();
    if (this.failing) return;
    this.failing = true;
    this.logger.error(`rate-limit block channel unavailable (${err.message}); each instance blocks failed key lookups on its own until it answers`);
  }

  private recovered(): void {
    if (!this.failing) return;
    this.failing = false;
    this.logger.log('rate-limit block channel answers again; blocks are shared');
  }
}
