import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { requestOutcomeUnknown, requestTimedOut, shuttingDown } from '../common/errors';
import { errorBody } from '../common/http-error.filter';
import type { MetricsService } from '../metrics/metrics.service';
import { attachDeadline, RequestDeadline } from './request-deadline';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** A caller's `x-request-id` is kept when it is a sane token; otherwise the server makes one. */
export function requestIdFrom(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
}

/**
 * Set when the app starts shutting down (first of Nest's shutdown hooks): the listener closes
 * at once, and a request that still arrives on an open keep-alive connection is told 503 with
 * `Connection: close`, while requests already running finish normally.
 */
@Injectable()
export class HttpDrain implements OnModuleDestroy {
  draining = false;
  /** Requests received and not yet answered or abandoned. */
  private readonly active = new Set<FastifyRequest>();
  private idle: (() => void) | null = null;

  constructor(private readonly adapterHost: HttpAdapterHost) {}

  started(request: FastifyRequest): void {
    this.active.add(request);
  }

  ended(request: FastifyRequest): void {
    if (this.active.delete(request) && this.active.size === 0) this.idle?.();
  }

  get activeCount(): number {
    return this.active.size;
  }

  activeUrls(): string[] {
    return [...this.active].slice(0, 5).map((r) => `${r.method} ${r.url}`);
  }

  /** Resolves when no request is running, or after `boundMs`. */
  async requestsDone(boundMs: number): Promise<void> {
    if (this.active.size === 0) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, boundMs);
      this.idle = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  onModuleDestroy(): void {
    this.draining = true;
    const server = this.adapterHost.httpAdapter?.getHttpServer() as import('node:http').Server | undefined;
    // Nest closes the Fastify instance later, after the processor has drained; closing the
    // listener now only stops new connections (Fastify ignores the second close).
    if (server?.listening) server.close();
  }
}

/**
 * Nest's Fastify adapter, except that it does not answer a request twice. The request deadline
 * (below) may already have answered 503 when a slow handler finishes; its late result is dropped
 * instead of Fastify logging "Reply was already sent" for every such request.
 */
export class SingleReplyFastifyAdapter extends FastifyAdapter {
  override reply(response: FastifyReply, body: unknown, statusCode?: number) {
    if (response.sent) return response;
    return super.reply(response, body, statusCode);
  }
}

interface LifecycleDeps {
  metrics: MetricsService;
  drain: HttpDrain;
  requestTimeoutMs: number;
}

const deadlineTimers = new WeakMap<FastifyRequest, NodeJS.Timeout>();

/**
 * Per-request plumbing in Fastify hooks (cheaper than Nest interceptors, and they also see
 * requests no route matched): the x-request-id header, the request deadline, one access-log
 * line and the duration histogram.
 */
export function installHttpLifecycle(fastify: FastifyInstance, { metrics, drain, requestTimeoutMs }: LifecycleDeps): void {
  const finished = (request: FastifyRequest) => {
    drain.ended(request);
    const timer = deadlineTimers.get(request);
    if (timer) clearTimeout(timer);
  };

  fastify.addHook('onRequest', (request, reply, done) => {
    drain.started(request);
    // 'close' comes when the response is done and also when the client went away first (then
    // neither onResponse nor onRequestAbort is guaranteed), so the bookkeeping ends here.
    reply.raw.once('close', () => finished(request));
    void reply.header('x-request-id', request.id);
    if (drain.draining) {
      const body = errorBody(shuttingDown());
      void reply.code(body.statusCode).header('connection', 'close').send(body);
      return;
    }
    // Bounded answer time: a request stuck behind a stalled database (or an exhausted pool) gets
    // 503 instead of hanging. A 503 from here has committed nothing: the request's transactions
    // refuse to start or commit after it (RequestDeadline). A COMMIT already under way when the
    // deadline fires is waited for, up to one more deadline, since it may have happened.
    const deadline = new RequestDeadline();
    attachDeadline(request, deadline);
    const answer503 = (outcomeUnknown: boolean) => {
      if (reply.sent) return;
      request.log.warn({ route: routeOf(request), timeoutMs: requestTimeoutMs, outcomeUnknown }, 'request deadline reached; answered 503');
      const body = errorBody(outcomeUnknown ? requestOutcomeUnknown(requestTimeoutMs) : requestTimedOut(requestTimeoutMs));
      void reply.code(body.statusCode).send(body);
    };
    const timer = setTimeout(() => {
      if (reply.sent) return;
      if (deadline.expire()) {
        answer503(false);
        return;
      }
      deadlineTimers.set(
        request,
        setTimeout(() => {
          deadline.forceExpire();
          answer503(true);
        }, requestTimeoutMs),
      );
    }, requestTimeoutMs);
    deadlineTimers.set(request, timer);
    done();
  });

  fastify.addHook('onResponse', (request, reply, done) => {
    const route = routeOf(request);
    const ms = reply.elapsedTime;
    metrics.httpDuration.observe({ method: request.method, route, status_code: String(reply.statusCode) }, ms / 1000);
    // The path only: ids in it are not secrets and keys travel in headers, never in the URL.
    request.log.info({ method: request.method, route, url: request.url, statusCode: reply.statusCode, ms: Math.round(ms * 10) / 10 }, 'request');
    done();
  });
}

/**
 * Fastify's close waits for every open connection to end, and a keep-alive connection whose
 * client went quiet can hold it up until the keep-alive timeout (72 s), past any shutdown bound
 * (found by the chaos suite: clients that had abandoned slow requests). Requests still running
 * get up to REQUEST_TIMEOUT_MS to finish (the deadline answers them by then); then every
 * remaining connection is closed.
 */
export function installConnectionCloser(fastify: FastifyInstance, drain: HttpDrain, requestTimeoutMs: number): void {
  fastify.addHook('preClose', async () => {
    if (drain.activeCount > 0) {
      fastify.log.info({ context: 'Shutdown', requests: drain.activeCount, urls: drain.activeUrls() }, 'waiting for requests in progress');
    }
    await drain.requestsDone(requestTimeoutMs + 100);
    fastify.server.closeAllConnections();
  });
}

/** The route pattern (`/status/:id`), so the metric's label set stays small; 'unmatched' for 404s. */
function routeOf(request: FastifyRequest): string {
  return request.routeOptions.url ?? 'unmatched';
}

const METHOD_ORDER = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

/**
 * Every route's path pattern and methods, recorded as Fastify registers them, so that a known
 * path asked with the wrong method can be told which methods it has (405 with `Allow`) instead
 * of the 404 that Fastify's router answers for it.
 */
export class RouteTable {
  private readonly routes: Array<{ pattern: RegExp; methods: string[] }> = [];

  /** `hidden`: path prefixes whose routes must look absent (the operator side while it is off). */
  constructor(private readonly hidden: string[] = []) {}

  add(url: string, method: string | string[]): void {
    if (this.hidden.some((prefix) => url === prefix || url.startsWith(`${prefix}/`))) return;
    const source = url
      .split('/')
      .map((segment) => (segment === '*' ? '.*' : segment.startsWith(':') ? '[^/]+' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
      .join('/');
    this.routes.push({ pattern: new RegExp(`^${source}$`), methods: [method].flat().map((m) => m.toUpperCase()) });
  }

  allowedMethods(path: string): string[] {
    const allowed = new Set(this.routes.filter((route) => route.pattern.test(path)).flatMap((route) => route.methods));
    return [...allowed].sort((a, b) => METHOD_ORDER.indexOf(a) - METHOD_ORDER.indexOf(b));
  }
}

/** Records the routes registered from now on (install it before Nest and Swagger add theirs). */
export function installRouteTable(fastify: FastifyInstance, hidden: string[] = []): RouteTable {
  const table = new RouteTable(hidden);
  fastify.addHook('onRoute', (route) => table.add(route.url, route.method));
  return table;
}
