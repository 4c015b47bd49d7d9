import { createHmac, hash, KeyObject, timingSafeEqual } from 'node:crypto';

/** A signed request's x-timestamp may be this far from the server's clock, either way. */
export const SIGNATURE_WINDOW_S = 300;
export const NONCE_PATTERN = /^[A-Za-z0-9._~-]{8,64}$/;
const EMPTY_BODY_HASH = hash('sha256', '', 'hex');

/**
 * The string a request signature covers, one field a line:
 * `v1`, x-timestamp, x-nonce, the method, the path with its query exactly as sent, and the hex
 * SHA-256 of the raw body (of the empty string when there is none).
 */
export function canonicalRequest(timestamp: string, nonce: string, method: string, pathWithQuery: string, rawBody: string): string {
  const bodyHash = rawBody === '' ? EMPTY_BODY_HASH : hash('sha256', rawBody, 'hex');
  return `v1\n${timestamp}\n${nonce}\n${method.toUpperCase()}\n${pathWithQuery}\n${bodyHash}`;
}

/**
 * `v1,<base64 HMAC-SHA256(private key as shown, canonical)>`; the key is its 64 characters as
 * bytes (or a KeyObject made of them).
 */
export function signRequest(privateKey: string | KeyObject, canonical: string): string {
  const key = typeof privateKey === 'string' ? Buffer.from(privateKey, 'utf8') : privateKey;
  return `v1,${createHmac('sha256', key).update(canonical).digest('base64')}`;
}

/** Constant-time comparison of the header with the expected signature. */
export function signatureMatches(header: string, expected: string): boolean {
  const a = Buffer.from(header);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
