import { createHash, createHmac, randomBytes } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';

/**
 * Signs like a reseller would, from the text (nothing imported from src/): HMAC-SHA256
 * keyed with the private key's 64 characters over "v1\n{ts}\n{nonce}\n{METHOD}\n{path}\n{hex sha256(body)}".
 */
export function signedHeaders(
  privateKey: string,
  method: string,
  path: string,
  rawBody = '',
  overrides: { timestamp?: number; nonce?: string } = {},
): Record<string, string> {
  const timestamp = String(overrides.timestamp ?? Math.floor(Date.now() / 1000));
  const nonce = overrides.nonce ?? randomBytes(12).toString('hex');
  const bodyHash = createHash('sha256').update(rawBody).digest('hex');
  const canonical = `v1\n${timestamp}\n${nonce}\n${method}\n${path}\n${bodyHash}`;
  return {
    'x-timestamp': timestamp,
    'x-nonce': nonce,
    'x-signature': `v1,${createHmac('sha256', Buffer.from(privateKey)).update(canonical).digest('base64')}`,
  };
}

export function signedInject(
  app: NestFastifyApplication,
  user: { apiKey: string; privateKey: string },
  method: 'GET' | 'POST' | 'PUT',
  path: string,
  body?: unknown,
  overrides: { timestamp?: number; nonce?: string; remoteAddress?: string; headers?: Record<string, string> } = {},
) {
  const raw = body === undefined ? '' : JSON.stringify(body);
  return app.inject({
    method,
    url: path,
    remoteAddress: overrides.remoteAddress,
    headers: {
      'x-api-key': user.apiKey,
      ...(raw ? { 'content-type': 'application/json' } : {}),
      ...signedHeaders(user.privateKey, method, path, raw, overrides),
      ...overrides.headers,
    },
    payload: raw || undefined,
  });
}
