import { ExecutionContext, Module } from '@nestjs/common';
import { ThrottlerModule, ThrottlerModuleOptions } from '@nestjs/throttler';
import type { AuthenticatedRequest } from '../common/auth.decorators';
import { MemoizedReflector } from '../common/memoized-reflector';
import { appConfig, AppConfig } from '../config/app.config';
import { AuthBlockChannel } from './auth-block.channel';
import { AuthFailureLimiter } from './auth-failure.limiter';
import { clientKey } from './client-key';
import { REGISTER_LIMIT, REGISTER_THROTTLER, RESELLER_THROTTLER } from './rate-limit.guard';
import { RateLimitStore } from './rate-limit.store';

const routeMetadata = new MemoizedReflector();
const request = (context: ExecutionContext) => context.switchToHttp().getRequest<AuthenticatedRequest>();

/** The reseller's own limit: the operator's override, else RATE_LIMIT_PER_MINUTE; 0 = unlimited. */
function resellerLimit(context: ExecutionContext, config: AppConfig): number {
  return request(context).authUser?.rateLimitPerMinute ?? config.rateLimit.perMinute;
}

@Module({
  providers: [RateLimitStore, AuthBlockChannel, AuthFailureLimiter],
  exports: [RateLimitStore, AuthFailureLimiter],
})
class RateLimitStoreModule {}

/**
 * @nestjs/throttler configured for the API: one counter per reseller across all its routes (not
 * per route, as the library's default key would be), one per IP for /register.
 */
@Module({
  imports: [
    RateLimitStoreModule,
    ThrottlerModule.forRootAsync({
      imports: [RateLimitStoreModule],
      inject: [RateLimitStore, appConfig.KEY],
      useFactory: (storage: RateLimitStore, config: AppConfig): ThrottlerModuleOptions => ({
        storage,
        generateKey: (_context, tracker, name) => `${name}:${tracker}`,
        throttlers: [
          {
            name: RESELLER_THROTTLER,
            ttl: 60_000,
            limit: (context) => resellerLimit(context, config),
            skipIf: (context) => !request(context).authUser || resellerLimit(context, config) === 0,
            getTracker: (req) => `u${(req as AuthenticatedRequest).authUser!.id}`,
          },
          {
            name: REGISTER_THROTTLER,
            ttl: 3_600_000,
            limit: config.rateLimit.registerPerHour,
            skipIf: (context) => config.rateLimit.registerPerHour === 0 || routeMetadata.get(REGISTER_LIMIT, context.getHandler()) !== true,
            // Per /64 for IPv6, as the failed-key guard (client-key.ts).
            getTracker: (req) => clientKey((req as AuthenticatedRequest).ip),
          },
        ],
      }),
    }),
  ],
  exports: [ThrottlerModule, RateLimitStoreModule],
})
export class RateLimitModule {}
