import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger, NotFoundException } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isConnectionError, isNodeNotReady } from './database-errors';
import { DomainError, ERROR_STATUS, ErrorCode, FieldError } from './domain-error';
import { DEFAULT_BODY_LIMIT_BYTES } from '../config/app.config';
import { databaseNotReady, databaseUnavailable, methodNotAllowed, payloadTooLarge, routeNotFound, unsupportedMediaType } from './errors';

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

export interface HttpErrorContext {
  /** The methods some route serves at this path (empty when none does). */
  allowedMethods(path: string): string[];
  bodyLimitBytes: number;
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

  constructor(private readonly context: HttpErrorContext = { allowedMethods: () => [], bodyLimitBytes: DEFAULT_BODY_LIMIT_BYTES }) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const request = http.getRequest<FastifyRequest | undefined>();
    const body = this.toBody(this.refine(exception, request, reply));
    if (body.statusCode >= 500 && body.statusCode !== 503) {
      // Message and stack only: a QueryFailedError also carries the query and its parameters
      // (which can include a key hash), and those never reach a log line.
      const err = exception instanceof Error ? { type: exception.name, message: exception.message, stack: exception.stack } : { message: String(exception) };
      const log = request?.log;
      if (log) log.error({ context: 'HttpError', err }, 'unexpected error');
      else this.logger.error(err.stack ?? err.message);
    }
    // The request deadline may have answered already (see http-lifecycle.ts).
    if (reply.sent) return;
    void reply.status(body.statusCode).send(body);
  }

  /**
   * Turns the framework's generic answers into ones that say what to do: a known path with the
   * wrong method is 405 with `Allow` (Nest answers 404), and the body errors name the fix.
   */
  private refine(exception: unknown, request: FastifyRequest | undefined, reply: FastifyReply): unknown {
    // Nest turns Fastify's body errors (FST_ERR_CTP_*) into plain HttpExceptions of their status.
    if (exception instanceof HttpException && exception.getStatus() === 413) return payloadTooLarge(this.context.bodyLimitBytes);
    if (exception instanceof HttpException && exception.getStatus() === 415) return unsupportedMediaType();
    if (!request?.url || !(exception instanceof NotFoundException)) return exception;
    const path = request.url.split('?')[0];
    const allow = this.context.allowedMethods(path).filter((m) => m !== request.method);
    if (allow.length === 0) return routeNotFound(request.method, path);
    const allowHeader = allow.join(', ');
    void reply.header('allow', allowHeader);
    return methodNotAllowed(request.method, path, allowHeader);
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
      return errorBody(databaseUnavailable());
    }
    if (isNodeNotReady(exception)) {
      return errorBody(databaseNotReady());
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
