import { createHmac, randomBytes } from 'node:crypto';

const SECRET_PREFIX = 'whsec_';

/** A new endpoint secret: `whsec_` + base64 of 32 random bytes (the Standard Webhooks form). */
export function generateCallbackSecret(): string {
  return SECRET_PREFIX + randomBytes(32).toString('base64');
}

/**
 * `webhook-signature` for one attempt: `v1,<base64 HMAC-SHA256(secret bytes, "{id}.{ts}.{body}")>`
 * per secret, space-separated (during a rotation both the new and the old secret sign, and a
 * receiver accepts the message if any one matches). The key is the base64-decoded part after
 * `whsec_`, as the spec and its reference libraries use it.
 */
export function signCallback(secrets: readonly string[], msgId: string, timestamp: number, body: string): string {
  return secrets
    .map((secret) => {
      const key = Buffer.from(secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret, 'base64');
      return `v1,${createHmac('sha256', key).update(`${msgId}.${timestamp}.${body}`).digest('base64')}`;
    })
    .join(' ');
}
