import { NestFactory } from '@nestjs/core';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { FastifyInstance, LogController } from 'fastify';
import type { DestinationStream } from 'pino';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { AppModule } from './app.module';
import { ADMIN_KEY_SCHEME, ADMIN_TAG } from './admin/admin-auth.decorators';
import { API_KEY_SCHEME } from './common/api-docs.decorators';
import { APP_VERSION } from './common/app-version';
import { HttpErrorFilter } from './common/http-error.filter';
import { createValidationPipe } from './common/validation';
import type { AppConfig } from './config/app.config';
import { buildDataSourceOptions } from './database/data-source-options';
import { initDataSource } from './database/database-startup';
import { keepRawJsonBodies } from './common/raw-body';
import { HttpDrain, installConnectionCloser, installHttpLifecycle, installRouteTable, requestIdFrom, SingleReplyFastifyAdapter } from './http/http-lifecycle';
import { createRootLogger, PinoNestLogger } from './logging/logger';
import { MetricsService } from './metrics/metrics.service';

export interface CreateAppOptions {
  /** Where the JSON log lines go (default stdout); tests pass a stream to read them. */
  logDestination?: DestinationStream;
}

/** Builds the whole app: used by main.ts and by the e2e tests, so both run the same pipeline. */
export async function createApp(config: AppConfig, options: CreateAppOptions = {}): Promise<NestFastifyApplication> {
  const log = createRootLogger(config.logLevel, options.logDestination);
  // The database is connected, checked and migrated before Nest starts, so a database problem
  // at boot surfaces as one DatabaseStartupError instead of Nest's module-init stack trace.
  const dataSource = await initDataSource(buildDataSourceOptions(config.database, log));
  const adapter = new SingleReplyFastifyAdapter({
    bodyLimit: config.bodyLimitBytes,
    // request.ip: the socket's peer unless TRUST_PROXY names the proxies in front (ip_allowlist).
    // A hop count as Fastify itself compiles it (its type declarations omit the number form).
    trustProxy: typeof config.trustProxy === 'number' ? trustHops(config.trustProxy) : config.trustProxy,
    // Fastify logs through the same pino instance, so request.log lines carry `reqId`.
    loggerInstance: log,
    // One access-log line per request comes from http-lifecycle.ts instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: requestIdFrom,
  });
  let app: NestFastifyApplication;
  try {
    app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, dataSource), adapter, {
      abortOnError: false,
      // Only JSON bodies: Nest would otherwise add a form-urlencoded parser (see below).
      bodyParser: false,
      logger: new PinoNestLogger(log),
    });
  } catch (err) {
    await dataSource.destroy().catch(() => undefined);
    throw err;
  }
  const fastify = app.getHttpAdapter().getInstance();
  // Without operator keys /admin does not exist to the outside, a wrong method included.
  const routes = installRouteTable(fastify, config.admin.keys.length === 0 ? ['/admin'] : []);
  const drain = app.get(HttpDrain);
  installHttpLifecycle(fastify, { metrics: app.get(MetricsService), drain, requestTimeoutMs: config.requestTimeoutMs });
  installConnectionCloser(fastify, drain, config.requestTimeoutMs);
  // Fastify's own JSON parser stays (with bodyLimit and prototype-poisoning checks); without a
  // text/plain parser any non-JSON body is answered 415 before it reaches a route.
  app.getHttpAdapter().getInstance().removeContentTypeParser('text/plain');
  keepRawJsonBodies(fastify);
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new HttpErrorFilter({ allowedMethods: (path) => routes.allowedMethods(path), bodyLimitBytes: config.bodyLimitBytes }));
  setupSwagger(app);
  return app;
}


function trustHops(hops: number): (address: string, hop: number) => boolean {
  return (_address, hop) => hop < hops;
}

function setupSwagger(app: NestFastifyApplication): void {
  const document = new DocumentBuilder()
    .setTitle('PPOB API')
    .setDescription(
      'Pulsa, data and PLN token purchases for resellers. Register to get an API key, send it as `x-api-key`. ' +
        'POST /beli answers `pending` at once; poll GET /status/{id}. Every error has `statusCode`, `code` and `detail`.',
    )
    .setVersion(APP_VERSION)
    .addApiKey({ type: 'apiKey', in: 'header', name: 'x-api-key', description: '64 hex characters from /register' }, API_KEY_SCHEME)
    .addApiKey({ type: 'apiKey', in: 'header', name: 'x-admin-key', description: 'An operator key from ADMIN_API_KEYS (the /admin routes only)' }, ADMIN_KEY_SCHEME)
    .addTag(ADMIN_TAG, 'Operator API: deposits, products, resellers, transactions, reports. Needs x-admin-key; 404 while ADMIN_API_KEYS is unset.')
    .build();
  SwaggerModule.setup('docs', app, () => SwaggerModule.createDocument(app, document), { jsonDocumentUrl: 'docs-json' });
}
