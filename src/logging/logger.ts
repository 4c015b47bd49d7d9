import type { LoggerService } from '@nestjs/common';
import pino, { DestinationStream, Logger as Pino } from 'pino';
import type { AppConfig } from '../config/app.config';

/** LOG_LEVEL uses Nest's names; `log` is pino's `info`. */
const PINO_LEVEL: Record<AppConfig['logLevel'], pino.Level> = {
  error: 'error',
  warn: 'warn',
  log: 'info',
  debug: 'debug',
};

/**
 * Paths that would hold a secret if an object carrying them were ever logged (a request's
 * headers, a body, an error from a query with its parameters). Nothing logs these objects
 * today; the redaction is the second line of defence, the log tests are the first.
 */
const REDACT_PATHS = [
  'req.headers["x-api-key"]',
  'req.headers["x-admin-key"]',
  'req.headers.authorization',
  'headers["x-api-key"]',
  'headers["x-admin-key"]',
  'headers.authorization',
  '*.api_key',
  '*.private_key',
  'api_key',
  'private_key',
  '*.apiKeyHash',
  '*.privateKeyHash',
  'err.parameters',
  'err.query',
  'err.driverError.sql',
];

/**
 * The process's one logger: JSON lines on stdout (or `destination`, for tests), one object per
 * line with `level`, `time`, `msg`, `context` and, inside a request, `reqId`.
 */
export function createRootLogger(level: AppConfig['logLevel'], destination?: DestinationStream): Pino {
  return pino(
    {
      level: PINO_LEVEL[level],
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    },
    destination ?? pino.destination({ dest: 1, sync: false }),
  );
}

/**
 * Nest's boot chatter (one line per module and route) is debug, not info. So is its
 * "Nest application successfully started", which comes before the port is bound: main.ts logs
 * "PPOB API listening on ..." once it is.
 */
const QUIET_CONTEXTS = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestFactory', 'NestApplication']);

/**
 * Nest's LoggerService on top of pino, so Nest's own messages (module init, route mapping,
 * shutdown) and every `new Logger(Context)` in the code come out as the same JSON lines.
 */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly pino: Pino) {}

  log(message: unknown, ...params: unknown[]): void {
    const context = params.at(-1);
    this.write(typeof context === 'string' && QUIET_CONTEXTS.has(context) ? 'debug' : 'info', message, params);
  }

  error(message: unknown, ...params: unknown[]): void {
    // Nest calls error(message, stack?, context?).
    const context = typeof params.at(-1) === 'string' && params.length > 0 ? params.pop() : undefined;
    const stack = typeof params[0] === 'string' ? params[0] : undefined;
    this.emit('error', message, context as string | undefined, stack ? { stack } : undefined);
  }

  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }

  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }

  verbose(message: unknown, ...params: unknown[]): void {
    this.write('trace', message, params);
  }

  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }

  private write(level: pino.Level, message: unknown, params: unknown[]): void {
    const context = typeof params.at(-1) === 'string' ? (params.at(-1) as string) : undefined;
    this.emit(level, message, context);
  }

  private emit(level: pino.Level, message: unknown, context: string | undefined, extra?: object): void {
    if (!this.pino.isLevelEnabled(level)) return;
    if (message instanceof Error) {
      this.pino[level]({ context, err: message, ...extra }, message.message);
    } else if (typeof message === 'object' && message !== null) {
      this.pino[level]({ context, ...extra, ...(message as object) });
    } else {
      this.pino[level]({ context, ...extra }, String(message));
    }
  }
}

/** The log destination main.ts gives the app: stdout, written asynchronously (pino's default). */
export function createStdoutDestination(): pino.DestinationStream & ReturnType<typeof pino.destination> {
  return pino.destination({ dest: 1, sync: false });
}

/**
 * Writes what is still buffered and closes stdout, at most `boundMs`; call it right before
 * process.exit. Without it, pino flushes synchronously in the 'exit' handler, and sonic-boom's
 * synchronous flush retries a failed write forever: with stdout a closed pipe (`| head -1`) the
 * process never exited and, stuck in that loop, ignored SIGTERM. Written asynchronously, the
 * EPIPE reaches pino's own handler, which stops logging.
 */
export function closeLogDestination(destination: ReturnType<typeof pino.destination>, boundMs: number): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      // Still not written (the reader is not reading): give up on those lines rather than block.
      destination.flushSync = () => undefined;
      done();
    }, boundMs);
    destination.once('close', done);
    destination.once('error', done);
    destination.end();
  });
}
