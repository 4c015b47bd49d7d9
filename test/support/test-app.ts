import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DataSource } from 'typeorm';
import { createApp, CreateAppOptions } from '../../src/app.factory';
import { AppConfig, loadConfig } from '../../src/config/app.config';
import { createTestDatabase, describeFor, Engine, ENGINES, TestDatabase } from './test-db';

export interface TestApp {
  app: NestFastifyApplication;
  config: AppConfig;
  db: TestDatabase;
  dataSource: DataSource;
  close(): Promise<void>;
}

/** Test-only key (32 bytes, base64). */
export const TEST_ENCRYPTION_KEY = Buffer.alloc(32, 7).toString('base64');

/** Test defaults: an instant simulated provider and a fast processor. Any env variable can be overridden. */
export function testEnv(db: TestDatabase, env: Record<string, string> = {}): Record<string, string> {
  return {
    NODE_ENV: 'test',
    DATABASE_URL: db.url,
    PPOB_SIM_DELAY_MS: '0',
    PPOB_SIM_SUCCESS_RATE: '1',
    PROCESSOR_INTERVAL_MS: '50',
    PROCESSOR_LEASE_MS: '5000',
    LOG_LEVEL: 'error',
    // Register-time saldo is off by default; the specs buy with it, so they opt in explicitly.
    ALLOW_REGISTER_SALDO: 'true',
    // Fixed, so instances started on one test database open each other's secrets.
    APP_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
    // Every spec sends from 127.0.0.1 and registers many users; rate-limit.e2e-spec turns them on.
    RATE_LIMIT_PER_MINUTE: '0',
    RATE_LIMIT_REGISTER_PER_HOUR: '0',
    RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '0',
    // Receivers in the specs listen on 127.0.0.1.
    CALLBACK_ALLOW_PRIVATE: 'true',
    // Off, so a test that changes a row with SQL sees the change at once; cache.e2e-spec turns
    // them on and tests the bounds.
    AUTH_CACHE_TTL_MS: '0',
    PRODUK_CACHE_TTL_MS: '0',
    // Set by test/run.js when the suite runs under a Node other than the one node_modules'
    // better-sqlite3 was built for.
    ...(process.env.SQLITE_NATIVE_BINDING ? { SQLITE_NATIVE_BINDING: process.env.SQLITE_NATIVE_BINDING } : {}),
    ...env,
  };
}

/** Boots the real app (same factory as main.ts) on a fresh database; requests go through app.inject. */
export async function startTestApp(engine: Engine, env: Record<string, string> = {}, options: CreateAppOptions = {}): Promise<TestApp> {
  const db = await createTestDatabase(engine);
  try {
    const config = loadConfig(testEnv(db, env));
    const app = await createApp(config, options);
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
    return {
      app,
      config,
      db,
      dataSource: app.get(DataSource),
      close: async () => {
        await app.close();
        await db.drop();
      },
    };
  } catch (err) {
    await db.drop();
    throw err;
  }
}

/**
 * A fresh app and database for the enclosing describe block: started in beforeAll, closed and
 * dropped in afterAll. The returned object is filled in when beforeAll has run.
 */
export function useTestApp(engine: Engine, env: Record<string, string> = {}, options: CreateAppOptions = {}): TestApp {
  const t = {} as TestApp;
  beforeAll(async () => {
    Object.assign(t, await startTestApp(engine, env, options));
  });
  afterAll(async () => {
    await t.close?.();
  });
  return t;
}

/**
 * The usual e2e frame: one describe per engine (MySQL skipped loudly where absent), a fresh
 * app and database for the block, closed and dropped after it. `t` is filled in by beforeAll.
 */
export function describeEachEngine(title: string, body: (t: TestApp, engine: Engine) => void, env: Record<string, string> = {}): void {
  describe.each(ENGINES)(`${title} on %s`, (engine) => {
    describeFor(engine)(engine, () => {
      body(useTestApp(engine, env), engine);
    });
  });
}
