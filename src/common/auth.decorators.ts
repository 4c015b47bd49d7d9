import type { RawBodyRequest } from './raw-body';
import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';

/** The authenticated caller, as the ApiKeyGuard attaches it to the request. */
export interface AuthUser {
  id: number;
  nama: string;
  email: string;
  /** False once an operator suspended the reseller: the guard answers 403. */
  aktif: boolean;
  /** SHA-256 of the key this request authenticated with (never sent in a response). */
  keyHash: string;
  /** The operator's per-reseller override of RATE_LIMIT_PER_MINUTE (null: the default; 0: unlimited). */
  rateLimitPerMinute: number | null;
  /** Signed-request settings (PUT /keamanan) and the encrypted signing key; never sent. */
  security: {
    /** null for users whose private key predates signing (it was only hashed). */
    privateKeyEnc: string | null;
    wajibSignature: boolean;
    ipAllowlist: string[];
  };
}

export type AuthenticatedRequest = RawBodyRequest & { authUser?: AuthUser };

export const IS_PUBLIC = 'ppob:isPublic';

/** Marks a route that needs no x-api-key (register, health; /admin routes, which take x-admin-key instead). */
export const Public = () => SetMetadata(IS_PUBLIC, true);

/** Injects the caller resolved from x-api-key. Only valid on routes behind the guard. */
export const CurrentUser = createParamDecorator((_: unknown, ctx: ExecutionContext): AuthUser => {
  const request = ctx.switchToHttp().getRequest<AuthenticatedRequest>();
  if (!request.authUser) throw new Error('CurrentUser used on a route without ApiKeyGuard');
  return request.authUser;
});
