import { createHash, randomBytes } from 'node:crypto';

/** 32 random bytes as 64 lowercase hex characters. */
export function generateKey(): string {
  return randomBytes(32).toString('hex');
}

/** Keys are stored only as their SHA-256; a key is high-entropy, so no salt or slow hash is needed. */
export function hashKey(key: string): string {
  return createHash('sha256').update(key.toLowerCase()).digest('hex');
}

export function looksLikeKey(value: unknown): value is string {
  return typeof value === 'string' && /^[0-9a-fA-F]{64}$/.test(value);
}
