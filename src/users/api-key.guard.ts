import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthenticatedRequest, IS_PUBLIC } from '../common/auth.decorators';
import { invalidApiKey, missingApiKey, userSuspended } from '../common/errors';
import { looksLikeKey } from './api-key';
import { UsersService } from './users.service';

/** Global guard: every route needs a valid x-api-key unless it is marked @Public(). */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly users: UsersService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()]);
    if (isPublic) return true;

    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const header = request.headers['x-api-key'];
    if (header === undefined) throw missingApiKey();
    // Malformed keys are refused without touching the database.
    const user = looksLikeKey(header) ? await this.users.findByApiKey(header) : null;
    if (!user) throw invalidApiKey();
    if (!user.aktif) throw userSuspended();
    request.authUser = user;
    return true;
  }
}
