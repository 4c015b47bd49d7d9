import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthenticatedRequest, IS_PUBLIC } from '../common/auth.decorators';
import { DomainError } from '../common/domain-error';
import { looksLikeKey } from './api-key';
import { RequestSecurityService } from './request-security.service';
import { UsersService } from './users.service';

/**
 * Global guard: every route needs a valid x-api-key unless it is marked @Public(); then the
 * reseller's IP allow-list and request signature (RequestSecurityService).
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly users: UsersService,
    private readonly security: RequestSecurityService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()]);
    if (isPublic) return true;

    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const header = request.headers['x-api-key'];
    if (header === undefined) throw new DomainError('UNAUTHORIZED', 'Header x-api-key wajib diisi');
    // Malformed keys are refused without touching the database.
    const user = looksLikeKey(header) ? await this.users.findByApiKey(header) : null;
    if (!user) throw new DomainError('UNAUTHORIZED', 'API key tidak valid');
    await this.security.check(request, user);
    request.authUser = user;
    return true;
  }
}
