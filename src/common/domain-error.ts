/**
 * Every error the API answers with has a stable code. Services throw DomainError and know
 * nothing about HTTP; HttpErrorFilter maps the code to a status in one place.
 */
export const ERROR_STATUS = {
  VALIDATION_FAILED: 400,
  SALDO_NOT_ALLOWED: 400,
  DEPOSIT_BANK_UNKNOWN: 400,
  UNAUTHORIZED: 401,
  ADMIN_UNAUTHORIZED: 401,
  WEBHOOK_SIGNATURE_INVALID: 401,
  INSUFFICIENT_SALDO: 402,
  USER_SUSPENDED: 403,
  TRANSAKSI_NOT_FOUND: 404,
  DEPOSIT_NOT_FOUND: 404,
  USER_NOT_FOUND: 404,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  EMAIL_TAKEN: 409,
  REF_ID_CONFLICT: 409,
  DEPOSIT_TOO_MANY_OPEN: 409,
  DEPOSIT_NO_FREE_CODE: 409,
  DEPOSIT_NOT_PENDING: 409,
  DEPOSIT_EXPIRED: 409,
  KOREKSI_REF_CONFLICT: 409,
  PRODUK_KODE_TAKEN: 409,
  TRANSAKSI_NOT_SETTLEABLE: 409,
  SUPPLIER_NOT_CONFIGURED: 409,
  SUPPLIER_SYNC_RUNNING: 409,
  PELANGGAN_PLN_NOT_FOUND: 404,
  SUPPLIER_UNAVAILABLE: 503,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  PRODUK_NOT_FOUND: 422,
  NOMINAL_MISMATCH: 422,
  KOREKSI_BELOW_ZERO: 422,
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
