import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DataSource } from 'typeorm';
import { createApp } from '../../src/app.factory';
import { AppConfig, loadConfig } from '../../src/config/app.config';
import { testEnv } from './test-app';
import type { TestDatabase } from './test-db';

export interface TestUser {
  apiKey: string;
  privateKey: string;
  email: string;
}

let sequence = 0;

/** Registers a user through the API; every field can be overridden. */
export async function registerUser(
  app: NestFastifyApplication,
  overrides: { nama?: string; email?: string; hp?: string; saldo?: number } = {},
): Promise<TestUser> {
  sequence += 1;
  const body = { nama: `Reseller ${sequence}`, email: `reseller${sequence}.${process.pid}@example.com`, saldo: 100_000, ...overrides };
  const res = await app.inject({ method: 'POST', url: '/register', payload: body });
  if (res.statusCode !== 200) throw new Error(`register failed: ${res.statusCode} ${res.body}`);
  const json = res.json();
  return { apiKey: json.api_key, privateKey: json.private_key, email: body.email };
}

export interface BeliBody {
  produk_id?: unknown;
  nomor_tujuan?: unknown;
  nominal?: unknown;
  ref_id?: unknown;
  [extra: string]: unknown;
}

export function beli(app: NestFastifyApplication, apiKey: string, body: BeliBody = {}) {
  return app.inject({
    method: 'POST',
    url: '/beli',
    headers: { 'x-api-key': apiKey },
    payload: { produk_id: 1, nomor_tujuan: '087800000001', ...body },
  });
}

export function get(app: NestFastifyApplication, apiKey: string | undefined, url: string) {
  return app.inject({ method: 'GET', url, headers: apiKey === undefined ? {} : { 'x-api-key': apiKey } });
}

/** Polls until `check` returns a value other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(check: () => Promise<T | undefined>, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Row counts of the tables a request may write; compare before and after to prove nothing was written. */
export async function countRows(dataSource: DataSource): Promise<Record<'users' | 'transaksi' | 'mutasi' | 'ppob_sim_eksekusi', number>> {
  const counts = { users: 0, transaksi: 0, mutasi: 0, ppob_sim_eksekusi: 0 };
  for (const table of Object.keys(counts) as Array<keyof typeof counts>) {
    const [row] = await dataSource.query(`SELECT COUNT(*) AS n FROM ${table}`);
    counts[table] = Number(row.n);
  }
  return counts;
}

/** Waits until no transaksi is pending or proses (the processor has finished everything). */
export function waitForIdle(dataSource: DataSource, timeoutMs = 15_000): Promise<true> {
  return waitFor(async () => {
    const [row] = await dataSource.query("SELECT COUNT(*) AS n FROM transaksi WHERE status IN ('pending', 'proses')");
    return Number(row.n) === 0 ? true : undefined;
  }, timeoutMs, 'all transaksi to finish');
}

export interface AppInstance {
  app: NestFastifyApplication;
  config: AppConfig;
  dataSource: DataSource;
  /** Closes this instance only; the database belongs to whoever created it. */
  close(): Promise<void>;
}

/**
 * Boots another instance of the real app on an existing test database (e.g. `t.db` of a
 * startTestApp), as a second server sharing the database would. The caller closes it before
 * the owner of the database drops it.
 */
export async function startInstanceOn(db: TestDatabase, env: Record<string, string> = {}): Promise<AppInstance> {
  const config = loadConfig(testEnv(db, env));
  const app = await createApp(config);
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return { app, config, dataSource: app.get(DataSource), close: () => app.close() };
}

/** POST /register with exactly this body (no defaults); returns the raw response. */
export function register(app: NestFastifyApplication, body: unknown) {
  return app.inject({ method: 'POST', url: '/register', payload: body as Record<string, unknown> });
}

/** The user's saldo as GET /saldo reports it. */
export async function saldoOf(app: NestFastifyApplication, apiKey: string): Promise<number> {
  const res = await get(app, apiKey, '/saldo');
  if (res.statusCode !== 200) throw new Error(`GET /saldo failed: ${res.statusCode} ${res.body}`);
  return res.json().saldo;
}
