import { applyDecorators, createParamDecorator, ExecutionContext, UseGuards } from '@nestjs/common';
import { ApiSecurity, ApiTags } from '@nestjs/swagger';
import { ApiErrors, UNAVAILABLE_ERRORS } from '../common/api-docs.decorators';
import { Public } from '../common/auth.decorators';
import type { DomainError } from '../common/domain-error';
import { AdminCaller, adminDisabledFor, adminKeyInvalid, adminKeyMissing, AdminKeyGuard, AdminRequest } from './admin-key.guard';

export const ADMIN_KEY_SCHEME = 'x-admin-key';
export const ADMIN_TAG = 'operator';

/**
 * An operator route: taken out of the reseller guard (Public means "no x-api-key") and put
 * behind AdminKeyGuard, under its own OpenAPI tag and security scheme.
 */
export function AdminAuth() {
  return applyDecorators(
    Public(),
    UseGuards(AdminKeyGuard),
    ApiTags(ADMIN_TAG),
    ApiSecurity(ADMIN_KEY_SCHEME),
  );
}

/**
 * The errors of one operator route for /docs: the two 401s, the 404 every /admin route answers
 * while ADMIN_API_KEYS is unset, the route's own `errors` and the 503s. `route` is
 * "METHOD /path" as the 404 names it.
 */
export function AdminErrors(route: string, ...errors: DomainError[]) {
  const [method, path] = route.split(' ');
  return ApiErrors(adminKeyMissing(), adminKeyInvalid(), adminDisabledFor(method, path), ...errors, ...UNAVAILABLE_ERRORS);
}

/** The operator the request authenticated as (its key's audit id). Only on AdminAuth routes. */
export const CurrentAdmin = createParamDecorator((_: unknown, ctx: ExecutionContext): AdminCaller => {
  const request = ctx.switchToHttp().getRequest<AdminRequest>();
  if (!request.admin) throw new Error('CurrentAdmin used on a route without AdminKeyGuard');
  return request.admin;
});
