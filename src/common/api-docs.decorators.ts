import { applyDecorators } from '@nestjs/common';
import { ApiResponse, ApiSecurity } from '@nestjs/swagger';
import { ErrorResponseDto } from './error-response.dto';

export const API_KEY_SCHEME = 'x-api-key';

const DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid input (see `errors`)',
  401: 'Missing or invalid x-api-key (UNAUTHORIZED)',
  402: 'Saldo too low (INSUFFICIENT_SALDO)',
  403: 'The reseller is suspended (USER_SUSPENDED)',
  404: 'Not found, or not yours',
  409: 'Conflict',
  413: 'Body larger than the limit (PAYLOAD_TOO_LARGE)',
  415: 'Body is not application/json (UNSUPPORTED_MEDIA_TYPE)',
  422: 'Request understood but not possible',
  503: 'Database unreachable (DATABASE_UNAVAILABLE)',
};

/** Documents the error statuses a route can answer, all with the common error body. */
export function ApiErrors(...statuses: number[]) {
  return applyDecorators(
    ...statuses.map((status) => ApiResponse({ status, description: DESCRIPTIONS[status], type: ErrorResponseDto })),
  );
}

/** Routes behind the x-api-key guard. */
export function ApiKeyAuth() {
  return applyDecorators(ApiSecurity(API_KEY_SCHEME), ApiErrors(401, 403, 503));
}
