import { createHash, timingSafeEqual } from 'node:crypto';
import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { DomainError } from '../common/domain-error';
import { routeNotFound } from '../common/errors';
import { appConfig, AppConfig } from '../config/app.config';

/** The operator a request authenticated as: the audit id of its key, never the key. */
export interface AdminCaller {
  id: string;
}

export type AdminRequest = FastifyRequest & { admin?: AdminCaller };

/** No real key is longer; a longer header is refused without hashing it. */
const MAX_ADMIN_KEY_LENGTH = 512;

/**
 * /admin without ADMIN_API_KEYS is indistinguishable from a route that does not exist, so a
 * server that never turned the operator side on does not advertise it.
 */
export function adminDisabled(request: FastifyRequest): DomainError {
  return adminDisabledFor(request.method, request.url.split('?')[0]);
}

export const adminDisabledFor = (method: string, path: string) => routeNotFound(method, path);
export const adminKeyMissing = () => new DomainError('ADMIN_UNAUTHORIZED', 'Header x-admin-key wajib diisi');
export const adminKeyInvalid = () => new DomainError('ADMIN_UNAUTHORIZED', 'Kunci operator tidak valid');

/**
 * x-admin-key against the configured operator keys. The presented key is hashed and compared
 * with every configured hash in constant time (no early exit), so timing tells nothing about
 * which key, or how much of one, matched. Only x-admin-key is read: a reseller's x-api-key never
 * opens an /admin route (and ApiKeyGuard reads only x-api-key, so the reverse holds too).
 */
@Injectable()
export class AdminKeyGuard implements CanActivate {
  constructor(@Inject(appConfig.KEY) private readonly config: AppConfig) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<AdminRequest>();
    const keys = this.config.admin.keys;
    if (keys.length === 0) throw adminDisabled(request);
    const header = request.headers['x-admin-key'];
    if (header === undefined) throw adminKeyMissing();
    if (typeof header !== 'string' || header.length > MAX_ADMIN_KEY_LENGTH) throw adminKeyInvalid();
    const presented = createHash('sha256').update(header).digest();
    let match: AdminCaller | null = null;
    for (const key of keys) {
      if (timingSafeEqual(presented, key.hash) && match === null) match = { id: key.id };
    }
    if (!match) throw adminKeyInvalid();
    request.admin = match;
    return true;
  }
}

/** The console page needs no key (it asks for one), but exists only when the operator side is on. */
@Injectable()
export class AdminEnabledGuard implements CanActivate {
  constructor(@Inject(appConfig.KEY) private readonly config: AppConfig) {}

  canActivate(context: ExecutionContext): boolean {
    if (this.config.admin.keys.length === 0) throw adminDisabled(context.switchToHttp().getRequest<FastifyRequest>());
    return true;
  }
}
