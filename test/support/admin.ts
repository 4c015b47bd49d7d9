import type { NestFastifyApplication } from '@nestjs/platform-fastify';

/** Two operator keys (at least 32 characters each) for specs that turn the /admin routes on. */
export const ADMIN_KEY = 'test-operator-key-0123456789abcdef-one';
export const ADMIN_KEY_2 = 'test-operator-key-0123456789abcdef-two';

export const DEPOSIT_BANKS = JSON.stringify([
  { bank: 'BCA', rekening: '1234567890', atas_nama: 'PT Contoh' },
  { bank: 'BRI', rekening: '0987654321', atas_nama: 'PT Contoh' },
]);

/** The environment that turns the operator side on, with ALLOW_REGISTER_SALDO explicit (see the processing-core contract). */
export function adminEnv(env: Record<string, string> = {}): Record<string, string> {
  return { ADMIN_API_KEYS: `${ADMIN_KEY},${ADMIN_KEY_2}`, DEPOSIT_BANKS, ALLOW_REGISTER_SALDO: 'true', ...env };
}

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/** A request to an /admin route with an operator key (pass key: null to send none). */
export function admin(app: NestFastifyApplication, method: Method, url: string, payload?: unknown, key: string | null = ADMIN_KEY) {
  return app.inject({
    method,
    url,
    headers: key === null ? {} : { 'x-admin-key': key },
    ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
  });
}

/** A reseller request with an API key. */
export function reseller(app: NestFastifyApplication, apiKey: string, method: Method, url: string, payload?: unknown) {
  return app.inject({ method, url, headers: { 'x-api-key': apiKey }, ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }) });
}

/** The users.id of the user with this email (through the operator API). */
export async function userIdOf(app: NestFastifyApplication, email: string): Promise<number> {
  const res = await admin(app, 'GET', `/admin/users?email=${encodeURIComponent(email)}`);
  if (res.statusCode !== 200) throw new Error(`GET /admin/users failed: ${res.statusCode} ${res.body}`);
  const match = (res.json() as Array<{ id: number; email: string }>).find((u) => u.email === email.toLowerCase());
  if (!match) throw new Error(`no user ${email}`);
  return match.id;
}
