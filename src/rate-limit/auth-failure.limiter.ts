import { Inject, Injectable } from '@nestjs/common';
import { appConfig, AppConfig } from '../config/app.config';
import { MetricsService } from '../metrics/metrics.service';
import { AuthBlockChannel } from './auth-block.channel';
import { clientKey } from './client-key';
import { RateLimitStore } from './rate-limit.store';

const WINDOW_MS = 60_000;
const MAX_REMEMBERED = 100_000;

/**
 * The brute-force guard: failed API-key lookups per client IP (per /64 for IPv6). Past the limit, the IP gets 429
 * for a minute, before any lookup: guessing keys costs the attacker time, not us queries.
 * The count is shared through the store (Redis); the "blocked until" is remembered here too, so
 * a blocked client's requests do not even touch the store, and with REDIS_URL every instance
 * hears of a block as it starts (AuthBlockChannel) and remembers it the same way.
 */
@Injectable()
export class AuthFailureLimiter {
  private readonly blockedUntil = new Map<string, number>();

  constructor(
    private readonly store: RateLimitStore,
    private readonly metrics: MetricsService,
    private readonly channel: AuthBlockChannel,
    @Inject(appConfig.KEY) private readonly config: AppConfig,
  ) {
    // Blocks made by other instances (REDIS_URL): into the same memory as our own.
    channel.onBlock((key, blockMs) => this.remember(key, blockMs));
  }

  /** Seconds until this IP (its /64 for IPv6) may try again, or 0. */
  retryAfter(ip: string): number {
    // Every authenticated request asks: with nothing blocked it costs one size check.
    if (this.blockedUntil.size === 0) return 0;
    const key = clientKey(ip);
    const until = this.blockedUntil.get(key);
    if (until === undefined) return 0;
    if (until <= Date.now()) {
      this.blockedUntil.delete(key);
      return 0;
    }
    this.metrics.rateLimited.inc({ limiter: 'auth-failures' });
    return Math.ceil((until - Date.now()) / 1000);
  }

  /** Counts a failed lookup; returns the seconds to wait when this one crossed the limit, else 0. */
  async recordFailure(ip: string): Promise<number> {
    const limit = this.config.rateLimit.authFailuresPerMinute;
    if (limit === 0) return 0;
    const key = clientKey(ip);
    const record = await this.store.increment(`auth-fail:${key}`, WINDOW_MS, limit, WINDOW_MS, 'auth-fail');
    if (!record.isBlocked) return 0;
    const blockMs = record.timeToBlockExpire * 1000;
    // The failure that starts the block tells the others (later ones are refused before the
    // lookup, in retryAfter, on every instance that heard of it).
    this.channel.publish(key, blockMs);
    this.remember(key, blockMs);
    this.metrics.rateLimited.inc({ limiter: 'auth-failures' });
    return Math.max(1, record.timeToBlockExpire);
  }

  private remember(key: string, blockMs: number): void {
    if (this.blockedUntil.size >= MAX_REMEMBERED) this.blockedUntil.clear();
    this.blockedUntil.set(key, Date.now() + blockMs);
  }
}
