import { ExecutionContext, Injectable, SetMetadata } from '@nestjs/common';
import { InjectThrottlerOptions, InjectThrottlerStorage, ThrottlerGuard, ThrottlerLimitDetail, ThrottlerModuleOptions, ThrottlerStorage } from '@nestjs/throttler';
import type { AuthenticatedRequest } from '../common/auth.decorators';
import { DomainError } from '../common/domain-error';
import { MemoizedReflector } from '../common/memoized-reflector';
import { MetricsService } from '../metrics/metrics.service';

export const REGISTER_LIMIT = 'ppob:registerLimit';
/** Marks the route limited per client IP per hour (POST /register). */
export const RegisterRateLimit = () => SetMetadata(REGISTER_LIMIT, true);

/** The throttler names; 'default' is the per-reseller one, so its headers carry no suffix. */
export const RESELLER_THROTTLER = 'default';
export const REGISTER_THROTTLER = 'register';
const REGISTER_SUFFIX = `-${REGISTER_THROTTLER}`;

/**
 * @nestjs/throttler's guard, after ApiKeyGuard (so the reseller is known): per reseller on
 * authenticated routes, per IP on /register. Differences from the stock guard: the 429 is the
 * API's error body (`code: RATE_LIMITED`, `detail`), and the headers have the standard names
 * (X-RateLimit-Limit/-Remaining/-Reset, Retry-After) whichever throttler set them.
 */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() storage: ThrottlerStorage,
    private readonly metrics: MetricsService,
  ) {
    super(options, storage, new MemoizedReflector());
  }

  protected async throwThrottlingException(context: ExecutionContext, detail: ThrottlerLimitDetail): Promise<void> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    this.metrics.rateLimited.inc({ limiter: request.authUser ? 'reseller' : 'register' });
    throw rateLimited(detail.timeToBlockExpire);
  }

  protected setResponseHeader(res: Record<string, any>, name: string, value: string | number): void { // eslint-disable-line @typescript-eslint/no-explicit-any
    super.setResponseHeader(res, name.endsWith(REGISTER_SUFFIX) ? name.slice(0, -REGISTER_SUFFIX.length) : name, value);
  }
}

export function rateLimited(retryAfterS: number): DomainError {
  return new DomainError('RATE_LIMITED', `Terlalu banyak request; coba lagi dalam ${Math.max(1, retryAfterS)} detik`);
}
