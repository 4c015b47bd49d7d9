import { DomainError } from './domain-error';

/**
 * The errors any route can answer, built here once: the code that answers them and the examples
 * in /docs call the same functions, so the documentation shows exactly what the server says.
 */
export const missingApiKey = () => new DomainError('UNAUTHORIZED', 'Header x-api-key wajib diisi');

export const invalidApiKey = () => new DomainError('UNAUTHORIZED', 'API key tidak valid');

/** A reseller an operator suspended (`users.aktif = false`). */
export const userSuspended = () => new DomainError('USER_SUSPENDED', 'Akun dinonaktifkan oleh operator; hubungi operator');

export const databaseUnavailable = () => new DomainError('DATABASE_UNAVAILABLE', 'Database tidak dapat dihubungi, coba lagi nanti');

/** A Galera node that does not take writes (not in the primary component, not synced). */
export const databaseNotReady = () => new DomainError('DATABASE_UNAVAILABLE', 'Database sedang tidak siap menerima permintaan, coba lagi nanti');

/** The request deadline fired before the request's transaction committed: nothing was saved. */
export const requestTimedOut = (timeoutMs: number) =>
  new DomainError(
    'REQUEST_TIMEOUT',
    `Server tidak dapat menyelesaikan permintaan dalam ${timeoutMs} ms (database lambat atau tidak dapat dihubungi); tidak ada yang disimpan, silakan coba lagi (/beli dengan ref_id yang sama)`,
  );

/** A COMMIT was under way and gave no answer within a second deadline: it may have happened. */
export const requestOutcomeUnknown = (timeoutMs: number) =>
  new DomainError(
    'REQUEST_TIMEOUT',
    `Server tidak mendapat konfirmasi database dalam ${2 * timeoutMs} ms; hasil permintaan tidak diketahui: periksa (GET /status, /saldo) atau ulangi /beli dengan ref_id yang sama`,
  );

export const shuttingDown = () => new DomainError('SHUTTING_DOWN', 'Server sedang dimatikan; kirim ulang ke instance lain');

export const payloadTooLarge = (limitBytes: number) =>
  new DomainError('PAYLOAD_TOO_LARGE', `Body lebih dari ${limitBytes} byte (batas BODY_LIMIT_BYTES di server ini)`);

export const unsupportedMediaType = () =>
  new DomainError('UNSUPPORTED_MEDIA_TYPE', 'Body harus JSON: kirim header Content-Type: application/json');

export const bodyNotObject = () => {
  const message = 'the request body must be a JSON object ({...})';
  return new DomainError('VALIDATION_FAILED', message, [{ field: 'body', message }]);
};

export const methodNotAllowed = (method: string, path: string, allow: string) =>
  new DomainError('METHOD_NOT_ALLOWED', `${method} tidak didukung untuk ${path}; gunakan ${allow}`);

export const routeNotFound = (method: string, path: string) => new DomainError('NOT_FOUND', `Route ${method} ${path} tidak ada; lihat /docs`);

/** A validation error as the ValidationPipe builds it, for the examples in /docs. */
export const invalidField = (field: string, message: string) => new DomainError('VALIDATION_FAILED', message, [{ field, message }]);
