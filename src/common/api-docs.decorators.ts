import { applyDecorators } from '@nestjs/common';
import { ApiResponse, ApiSecurity } from '@nestjs/swagger';
import { DEFAULT_BODY_LIMIT_BYTES, DEFAULT_REQUEST_TIMEOUT_MS } from '../config/app.config';
import { DomainError, ERROR_STATUS } from './domain-error';
import { ErrorResponseDto } from './error-response.dto';
import { databaseNotReady, databaseUnavailable, invalidApiKey, missingApiKey, payloadTooLarge, requestOutcomeUnknown, requestTimedOut, shuttingDown, unsupportedMediaType, userSuspended } from './errors';
import { errorBody } from './http-error.filter';

export const API_KEY_SCHEME = 'x-api-key';

const DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid input (see `errors`)',
  401: 'Missing or invalid x-api-key',
  402: 'Saldo too low',
  403: 'The reseller is suspended',
  404: 'Not found, or not yours',
  409: 'Conflict',
  413: 'Body larger than the limit',
  415: 'Body is not application/json',
  422: 'Request understood but not possible',
  503: 'Not done, or not known to be done: repeat the request (POST /beli with the same ref_id)',
};

/**
 * Documents the errors a route answers, one example per error, grouped under their status
 * (taken from the code, so an example cannot sit under the wrong status). Without examples of
 * its own, Swagger UI would show the schema's single example under every status.
 */
export function ApiErrors(...errors: DomainError[]) {
  const byStatus = new Map<number, DomainError[]>();
  for (const error of errors) {
    const status = ERROR_STATUS[error.code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), error]);
  }
  return applyDecorators(
    ...[...byStatus].map(([status, group]) => {
      const codes = [...new Set(group.map((e) => `\`${e.code}\``))].join(', ');
      const examples = Object.fromEntries(
        group.map((error, i) => [group.length > 1 ? `${error.code}_${i + 1}` : error.code, { summary: error.detail, value: errorBody(error) }]),
      );
      return ApiResponse({ status, description: `${DESCRIPTIONS[status] ?? 'Error'}: ${codes}`, type: ErrorResponseDto, examples });
    }),
  );
}

/** What every route can answer 503 with. */
export const UNAVAILABLE_ERRORS = [
  databaseUnavailable(),
  databaseNotReady(),
  requestTimedOut(DEFAULT_REQUEST_TIMEOUT_MS),
  requestOutcomeUnknown(DEFAULT_REQUEST_TIMEOUT_MS),
  shuttingDown(),
];

/** What every route that takes a JSON body can answer about the body itself. */
export const BODY_ERRORS = [payloadTooLarge(DEFAULT_BODY_LIMIT_BYTES), unsupportedMediaType()];

/**
 * Routes behind the x-api-key guard: the scheme, the two 401s, the 403 of a suspended reseller and the 503s. Route-specific
 * errors go in `errors`, so that one decorator documents every status of the route.
 */
export function ApiKeyAuth(...errors: DomainError[]) {
  return applyDecorators(ApiSecurity(API_KEY_SCHEME), ApiErrors(missingApiKey(), invalidApiKey(), userSuspended(), ...errors, ...UNAVAILABLE_ERRORS));
}
