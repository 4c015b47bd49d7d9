import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import type { ThrottlerStorageRecord } from '@nestjs/throttler/dist/throttler-storage-record.interface';
import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import Redis from 'ioredis';
import { appConfig, AppConfig } from '../config/app.config';
import { MetricsService } from '../metrics/metrics.service';
import { FixedWindowStorage } from './fixed-window.storage';

/** A counter update slower than this is given up on (and the request let through). */
const STORE_TIMEOUT_MS = 250;
const CONNECT_WAIT_MS = 2_000;

/**
 * The rate-limit counters: @nest-lab/throttler-storage-redis (one Lua script per hit, shared by
 * every instance) when REDIS_URL is set, else FixedWindowStorage (each instance counts alone).
 * Fails open: when Redis is unreachable or slow the request is let through, counted in
 * ppob_rate_limit_store_errors_total, and logged once until Redis answers again. A limiter must never be the reason the API is down.
 */
@Injectable()
export class RateLimitStore implements ThrottlerStorage, OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(RateLimitStore.name);
  private readonly inner: ThrottlerStorage;
  private readonly redis: Redis | null = null;
  private failing = false;
  readonly prefix: string;

  constructor(
    @Inject(appConfig.KEY) config: AppConfig,
    private readonly metrics: MetricsService,
  ) {
    this.prefix = config.rateLimit.redisPrefix;
    if (config.rateLimit.redisUrl) {
      this.redis = new Redis(config.rateLimit.redisUrl, {
        // Fail fast instead of queueing hits while disconnected; ioredis reconnects by itself.
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        connectTimeout: 2_000,
        retryStrategy: (times) => Math.min(times * 200, 5_000),
      });
      // Without a listener ioredis prints every connection error; failures are reported below, once.
      this.redis.on('error', () => undefined);
      this.inner = new ThrottlerStorageRedisService(this.redis);
    } else {
      this.inner = new FixedWindowStorage();
    }
  }

  /**
   * Waits a moment for the first connection, so the first requests after boot are counted;
   * a Redis that is down does not hold the boot up (the limiter fails open meanwhile).
   */
  async onModuleInit(): Promise<void> {
    const redis = this.redis;
    if (!redis || redis.status === 'ready') return;
    let timer: NodeJS.Timeout | undefined;
    let ready: (() => void) | undefined;
    // Not events.once: it rejects on the 'error' events a down Redis emits while retrying.
    await new Promise<void>((resolve) => {
      ready = resolve;
      redis.once('ready', resolve);
      timer = setTimeout(resolve, CONNECT_WAIT_MS);
    });
    clearTimeout(timer);
    redis.off('ready', ready!);
    if ((redis.status as string) !== 'ready') this.logger.warn(`Redis for rate limits not reachable after ${CONNECT_WAIT_MS} ms; starting without limits until it is`);
  }

  get shared(): boolean {
    return this.redis !== null;
  }

  async increment(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string): Promise<ThrottlerStorageRecord> {
    // In memory nothing can hang or fail: no timer per hit.
    if (!this.redis) return this.inner.increment(`${this.prefix}${key}`, ttl, limit, blockDuration, throttlerName);
    let timer: NodeJS.Timeout | undefined;
    try {
      const record = await Promise.race([
        this.inner.increment(`${this.prefix}${key}`, ttl, limit, blockDuration, throttlerName),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${STORE_TIMEOUT_MS} ms`)), STORE_TIMEOUT_MS);
        }),
      ]);
      if (this.failing) {
        this.failing = false;
        this.logger.log('rate-limit store answers again; limits apply');
      }
      return record;
    } catch (err) {
      this.metrics.rateLimitStoreErrors.inc();
      if (!this.failing) {
        this.failing = true;
        this.logger.error(`rate-limit store unavailable (${(err as Error).message}); requests are not limited until it answers`);
      }
      return { totalHits: 0, timeToExpire: Math.ceil(ttl / 1000), isBlocked: false, timeToBlockExpire: 0 };
    } finally {
      clearTimeout(timer);
    }
  }

  onApplicationShutdown(): void {
    if (this.redis) {
      // No reconnect may start after this, even from a connection attempt still in flight.
      this.redis.options.retryStrategy = () => null;
      this.redis.disconnect(false);
    }
    (this.inner as Partial<OnApplicationShutdown>).onApplicationShutdown?.();
  }
}
