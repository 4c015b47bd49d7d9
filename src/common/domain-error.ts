/**
 * Every error the API answers with has a stable code. Services throw DomainError and know
 * nothing about HTTP; HttpErrorFilter maps the code to a status in one place.
 */
export const ERROR_STATUS = {
  VALIDATION_FAILED: 400,
  SALDO_NOT_ALLOWED: 400,
  CALLBACK_URL_INVALID: 400,
  UNAUTHORIZED: 401,
  SIGNATURE_REQUIRED: 401,
  SIGNATURE_MALFORMED: 401,
  SIGNATURE_TIMESTAMP: 401,
  SIGNATURE_NONCE_REUSED: 401,
  SIGNATURE_INVALID: 401,
  SIGNATURE_KEY_UNAVAILABLE: 401,
  IP_NOT_ALLOWED: 403,
  INSUFFICIENT_SALDO: 402,
  TRANSAKSI_NOT_FOUND: 404,
  NOT_FOUND: 404,
  CALLBACK_NOT_SET: 404,
  DELIVERY_NOT_FOUND: 404,
  EMAIL_TAKEN: 409,
  REF_ID_CONFLICT: 409,
  DELIVERY_IN_PROGRESS: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  PRODUK_NOT_FOUND: 422,
  NOMINAL_MISMATCH: 422,
  INTERNAL_ERROR: 500,
  DATABASE_UNAVAILABLE: 503,
  REQUEST_TIMEOUT: 503,
  SHUTTING_DOWN: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export interface FieldError {
  field: string;
  message: string;
}

export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    readonly detail: string,
    readonly errors?: FieldError[],
  ) {
    super(detail);
    this.name = 'DomainError';
  }
}
