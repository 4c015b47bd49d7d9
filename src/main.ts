import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApp } from './app.factory';
import { AppConfig, ConfigError, readEnvConfig } from './config/app.config';
import { DatabaseStartupError } from './database/database-startup';
import { closeLogDestination, createStdoutDestination } from './logging/logger';

/** How long the last log lines may take to be written before the process exits anyway. */
const LOG_CLOSE_MS = 1_000;

/** A start-up failure that is one line on stderr: the cause and the variable to change. */
class StartupError extends Error {}

const stdout = createStdoutDestination();

async function exit(code: number): Promise<never> {
  await closeLogDestination(stdout, LOG_CLOSE_MS);
  process.exit(code);
}

async function bootstrap(): Promise<void> {
  const config = readEnvConfig();
  const app = await createApp(config, { logDestination: stdout });
  // Nest's own shutdown hooks (enableShutdownHooks) exit by re-raising the signal or by
  // process.exit right after the hooks; ours says when the shutdown begins and ends, and lets
  // the last lines reach stdout first.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => void shutdown(app, config, signal));
  }
  await listen(app, config);
  new Logger('Bootstrap').log(
    `PPOB API listening on http://${config.host}:${config.port} (${describeDatabase(config)}, processor ${config.processor.enabled ? `on as ${config.processor.instanceId}` : 'off'}); docs at /docs`,
  );
}

/**
 * Fastify's listen, not Nest's: Nest logs a listen error as an error line of its own before
 * rethrowing it, and the operator gets one line instead (a second `npm start` on a busy port
 * used to print "started", an error line, a stack trace and an error dump).
 */
async function listen(app: NestFastifyApplication, config: AppConfig): Promise<void> {
  await app.init();
  try {
    await app.getHttpAdapter().getInstance().listen({ port: config.port, host: config.host });
  } catch (err) {
    // The processor started with init: hand back what it may have claimed, within a bound.
    await Promise.race([app.close().catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 5_000).unref())]);
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new StartupError(`port ${config.port} is in use; set PORT`);
    if (code === 'EACCES') throw new StartupError(`port ${config.port} needs more privileges than this process has; set PORT`);
    if (code === 'EADDRNOTAVAIL') throw new StartupError(`HOST ${config.host} is not an address of this machine; set HOST`);
    throw err;
  }
}

/** Where the data lives, for the start-up line: never the user or the password. */
function describeDatabase(config: AppConfig): string {
  if (config.database.type === 'sqlite') return `sqlite ${config.database.path}`;
  const url = new URL(config.database.url);
  return `mysql ${url.hostname}:${url.port || 3306}${url.pathname}`;
}

async function shutdown(app: NestFastifyApplication, config: AppConfig, signal: NodeJS.Signals): Promise<void> {
  const logger = new Logger('Shutdown');
  const startedAt = Date.now();
  // The hooks are bounded (SHUTDOWN_TIMEOUT_MS for the processor); this is the backstop for a
  // close that still hangs, e.g. the pool saying goodbye to a database that stopped answering.
  const backstopMs = config.processor.shutdownTimeoutMs + 5_000;
  setTimeout(() => {
    logger.error(`shutdown did not finish within ${backstopMs} ms; exiting`);
    void exit(1);
  }, backstopMs).unref();
  logger.log(`${signal} received; shutting down (provider calls in flight get up to ${config.processor.shutdownTimeoutMs} ms)`);
  try {
    // close() runs every shutdown hook: the listener closes, the processor stops claiming and
    // drains, the pool closes.
    await app.close();
  } catch (err) {
    logger.error(`shutdown failed after ${Date.now() - startedAt} ms: ${(err as Error).message}`);
    await exit(1);
  }
  logger.log(`shutdown complete in ${Date.now() - startedAt} ms`);
  await exit(0);
}

bootstrap().catch(async (err: unknown) => {
  // Configuration, database and port problems at boot are one clear line, not a stack trace.
  if (err instanceof ConfigError || err instanceof DatabaseStartupError || err instanceof StartupError) {
    console.error(`ppob-api: ${err.message}`);
  } else {
    console.error('ppob-api: failed to start:', err);
  }
  await exit(1);
});
