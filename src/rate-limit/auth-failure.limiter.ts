import { Inject, Injectable } from '@nestjs/common';
import { appConfig, AppConfig } from '../config/app.config';
import { MetricsService } from '../metrics/metrics.service';
import { RateLimitStore } from './rate-limit.store';

const WINDOW_MS = 60_000;
const MAX_REMEMBERED = 100_000;

/**
 * The brute-force guard: failed API-key lookups per client IP. Past the limit, the IP gets 429
 * for a minute, before any lookup: guessing keys costs the attacker time, not us queries.
 * The count is shared through the store (Redis); the "blocked until" is remembered here too, so
 * a blocked client's requests do not even touch the store.
 */
@Injectable()
export class AuthFailureLimiter {
  private readonly blockedUntil = new Map<string, number>();

  constructor(
    private readonly store: RateLimitStore,
    private readonly metrics: MetricsService,
    @Inject(appConfig.KEY) private readonly config: AppConfig,
  ) {}

  /** Seconds until this IP may try again, or 0. */
  retryAfter(ip: string): number {
    const until = this.blockedUntil.get(ip);
    if (until === undefined) return 0;
    if (until <= Date.now()) {
      this.blockedUntil.delete(ip);
      return 0;
    }
    this.metrics.rateLimited.inc({ limiter: 'auth-failures' });
    return Math.ceil((until - Date.now()) / 1000);
  }

  /** Counts a failed lookup; returns the seconds to wait when this one crossed the limit, else 0. */
  async recordFailure(ip: string): Promise<number> {
    const limit = this.config.rateLimit.authFailuresPerMinute;
    if (limit === 0) return 0;
    const record = await this.store.increment(`auth-fail:${ip}`, WINDOW_MS, limit, WINDOW_MS, 'auth-fail');
    if (!record.isBlocked) return 0;
    if (this.blockedUntil.size >= MAX_REMEMBERED) this.blockedUntil.clear();
    this.blockedUntil.set(ip, Date.now() + record.timeToBlockExpire * 1000);
    this.metrics.rateLimited.inc({ limiter: 'auth-failures' });
    return Math.max(1, record.timeToBlockExpire);
  }
}
