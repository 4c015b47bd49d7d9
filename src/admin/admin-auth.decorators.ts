import { applyDecorators, createParamDecorator, ExecutionContext, UseGuards } from '@nestjs/common';
import { ApiResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/api-docs.decorators';
import { Public } from '../common/auth.decorators';
import { ErrorResponseDto } from '../common/error-response.dto';
import { AdminCaller, AdminKeyGuard, AdminRequest } from './admin-key.guard';

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
    ApiResponse({ status: 401, description: 'Missing or wrong x-admin-key (ADMIN_UNAUTHORIZED)', type: ErrorResponseDto }),
    ApiResponse({ status: 404, description: 'Not found; every /admin route answers 404 while ADMIN_API_KEYS is unset', type: ErrorResponseDto }),
    ApiErrors(503),
  );
}

/** The operator the request authenticated as (its key's audit id). Only on AdminAuth routes. */
export const CurrentAdmin = createParamDecorator((_: unknown, ctx: ExecutionContext): AdminCaller => {
  const request = ctx.switchToHttp().getRequest<AdminRequest>();
  if (!request.admin) throw new Error('CurrentAdmin used on a route without AdminKeyGuard');
  return request.admin;
});
