import type { NestFastifyApplication } from '@nestjs/platform-fastify';

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
