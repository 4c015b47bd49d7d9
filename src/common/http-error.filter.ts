import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isConnectionError, isNodeNotReady } from './database-errors';
import { DomainError, ERROR_STATUS, ErrorCode, FieldError } from './domain-error';

export interface ErrorBody {
  statusCode: number;
  code: string;
  detail: string;
  errors?: FieldError[];
}

const CODE_FOR_STATUS: Record<number, ErrorCode> = {
  400: 'VALIDATION_FAILED',
  401: 'UNAUTHORIZED',
  404: 'NOT_FOUND',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  503: 'DATABASE_UNAVAILABLE',
};

/**
 * The body for a domain error. Also used where an answer is sent outside Nest's pipeline (the
 * Fastify hooks' 503s, /health), so every error body has the same shape and status mapping.
 */
export function errorBody(error: DomainError): ErrorBody {
  const body: ErrorBody = { statusCode: ERROR_STATUS[error.code], code: error.code, detail: error.detail };
  if (error.errors) body.errors = error.errors;
  return body;
}

/** Fastify's own errors (body parsing, limits) carry `statusCode` and an FST_ERR_* code. */
interface FastifyErrorLike {
  statusCode?: number;
  code?: string;
  message?: string;
}

/**
 * The one place where errors become HTTP. Every error body has statusCode, code and detail
 * (the original service's field), never a stack trace.
 */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpError');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const body = this.toBody(exception);
    if (body.statusCode >= 500 && body.statusCode !== 503) {
      // Message and stack only: a QueryFailedError also carries the query and its parameters
      // (which can include a key hash), and those never reach a log line.
      const err = exception instanceof Error ? { type: exception.name, message: exception.message, stack: exception.stack } : { message: String(exception) };
      const log = http.getRequest<FastifyRequest>()?.log;
      if (log) log.error({ context: 'HttpError', err }, 'unexpected error');
      else this.logger.error(err.stack ?? err.message);
    }
    // The request deadline may have answered already (see http-lifecycle.ts).
    if (reply.sent) return;
    void reply.status(body.statusCode).send(body);
  }

  toBody(exception: unknown): ErrorBody {
    if (exception instanceof DomainError) return errorBody(exception);
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const response = exception.getResponse();
      const message =
        typeof response === 'string' ? response : (response as { message?: string | string[] }).message;
      const detail = Array.isArray(message) ? message.join('; ') : (message ?? exception.message);
      return { statusCode: status, code: CODE_FOR_STATUS[status] ?? `HTTP_${status}`, detail };
    }
    if (isConnectionError(exception)) {
      return { statusCode: 503, code: 'DATABASE_UNAVAILABLE', detail: 'Database tidak dapat dihubungi, coba lagi nanti' };
    }
    if (isNodeNotReady(exception)) {
      return { statusCode: 503, code: 'DATABASE_UNAVAILABLE', detail: 'Database sedang tidak siap menerima permintaan, coba lagi nanti' };
    }
    const fastifyError = exception as FastifyErrorLike;
    if (
      typeof fastifyError?.statusCode === 'number' &&
      fastifyError.statusCode >= 400 &&
      fastifyError.statusCode < 500 &&
      fastifyError.code?.startsWith('FST_')
    ) {
      return {
        statusCode: fastifyError.statusCode,
        code: CODE_FOR_STATUS[fastifyError.statusCode] ?? `HTTP_${fastifyError.statusCode}`,
        detail: fastifyError.message ?? 'Bad request',
      };
    }
    return { statusCode: 500, code: 'INTERNAL_ERROR', detail: 'Internal server error' };
  }
}
