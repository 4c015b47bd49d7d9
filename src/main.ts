import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { createApp } from './app.factory';
import { ConfigError, readEnvConfig } from './config/app.config';
import { DatabaseStartupError } from './database/database-startup';

async function bootstrap(): Promise<void> {
  const config = readEnvConfig();
  const app = await createApp(config);
  // SIGTERM/SIGINT run the shutdown hooks: the processor stops claiming and drains first.
  // useProcessExit: exit 0 afterwards; by default Nest re-raises the signal and the process
  // ends "killed by SIGTERM" (exit 143), which supervisors report as a crash.
  app.enableShutdownHooks([], { useProcessExit: true });
  // The hooks are bounded (SHUTDOWN_TIMEOUT_MS for the processor); this is the backstop for a
  // close that still hangs, e.g. the pool saying goodbye to a database that stopped answering.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      const backstopMs = config.processor.shutdownTimeoutMs + 5_000;
      setTimeout(() => {
        new Logger('Shutdown').error(`shutdown did not finish within ${backstopMs} ms; exiting`);
        process.exit(1);
      }, backstopMs).unref();
    });
  }
  await app.listen({ port: config.port, host: config.host });
  const db = config.database.type === 'sqlite' ? `sqlite ${config.database.path}` : 'mysql';
  new Logger('Bootstrap').log(
    `PPOB API listening on http://${config.host}:${config.port} (${db}, processor ${config.processor.enabled ? `on as ${config.processor.instanceId}` : 'off'}); docs at /docs`,
  );
}

bootstrap().catch((err: unknown) => {
  // Configuration and database problems at boot are one clear line, not a stack trace.
  if (err instanceof ConfigError || err instanceof DatabaseStartupError) {
    console.error(`ppob-api: ${err.message}`);
  } else {
    console.error('ppob-api: failed to start:', err);
  }
  process.exit(1);
});
