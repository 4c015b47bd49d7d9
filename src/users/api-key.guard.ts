import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { AuthenticatedRequest, IS_PUBLIC } from '../common/auth.decorators';
import type { DomainError } from '../common/domain-error';
import { MemoizedReflector } from '../common/memoized-reflector';
import { invalidApiKey, missingApiKey, userSuspended } from '../common/errors';
import { AuthFailureLimiter } from '../rate-limit/auth-failure.limiter';
import { rateLimited } from '../rate-limit/rate-limit.guard';
import { looksLikeKey } from './api-key';
import { RequestSecurityService } from './request-security.service';
import { UsersService } from './users.service';

/**
 * Global guard: every route needs a valid x-api-key unless it is marked @Public(); then the
 * reseller's IP allow-list and request signature (RequestSecurityService).
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly reflector = new MemoizedReflector();

  constructor(
    private readonly users: UsersService,
    private readonly security: RequestSecurityService,
    private readonly authFailures: AuthFailureLimiter,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()]);
    if (isPublic) return true;

    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const header = request.headers['x-api-key'];
    if (header === undefined) throw missingApiKey();
    const blocked = this.authFailures.retryAfter(request.ip);
    if (blocked > 0) throw this.refuse(context.switchToHttp().getResponse<FastifyReply>(), blocked);
    // Malformed keys are refused without touching the database.
    const user = looksLikeKey(header) ? await this.users.findByApiKey(header) : null;
    if (!user) {
      const retryAfter = await this.authFailures.recordFailure(request.ip);
      if (retryAfter > 0) throw this.refuse(context.switchToHttp().getResponse<FastifyReply>(), retryAfter);
      throw invalidApiKey();
    }
    if (!user.aktif) throw userSuspended();
    await this.security.check(request, user);
    request.authUser = user;
    return true;
  }

  private refuse(reply: FastifyReply, retryAfterS: number): DomainError {
    reply.header('Retry-After', retryAfterS);
    return rateLimited(retryAfterS);
  }
}
