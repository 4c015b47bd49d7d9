import { isIP } from 'node:net';
import { normalizeIp } from '@nestjs/throttler';

/**
 * The budget a client address counts against, for the per-IP limits (/register, failed key
 * lookups). One IPv6 subscriber is given a /64 (or more), so per address an attacker would have
 * 2^64 budgets: IPv6 counts per /64. IPv4 counts per address, and an IPv4-mapped IPv6 address
 * (::ffff:a.b.c.d) is that IPv4 address. @nestjs/throttler's own normalizeIp, so the guard and
 * the library agree on what one client is.
 *
 * An address that carries an IPv4 client in its last 32 bits is that IPv4 client too: an
 * IPv6-only server behind a translator (NAT64's well-known prefix 64:ff9b::/96, RFC 6052; SIIT's
 * IPv4-translated ::ffff:0:a.b.c.d, RFC 6145/7755) sees the whole IPv4 internet in one /64, so
 * per /64 one client's failures would block them all.
 */
export function clientKey(ip: string): string {
  // request.ip is the socket's remoteAddress, undefined once the client has gone: one budget for
  // those (the answer reaches nobody), never a TypeError and a 500 in the log.
  if (typeof ip !== 'string' || ip === '') return 'unknown';
  // An IPv4 address (no colon) is its own key: the common case parses nothing.
  if (!ip.includes(':')) return ip;
  return translatedIpv4(ip) ?? normalizeIp(ip, 64);
}

/** The IPv4 address inside 64:ff9b::/96 or ::ffff:0:0/96, else null. */
function translatedIpv4(ip: string): string | null {
  // Both prefixes spell ff9b or ffff in any form; other IPv6 clients skip the parse.
  if (!/ff9b|ffff/i.test(ip) || isIP(ip) !== 6) return null;
  // normalizeIp at /128 expands and compresses the address: one spelling for each form.
  const full = normalizeIp(ip, 128).replace(/\/128$/, '');
  // The compression may swallow a zero group of the IPv4 (64:ff9b::5 is 0.0.0.5).
  const match = /^(?:64:ff9b::|::ffff:0:)(?:([0-9a-f]{1,4}):)?([0-9a-f]{1,4})?$/.exec(full);
  if (!match) return null;
  const high = parseInt(match[1] ?? '0', 16);
  const low = parseInt(match[2] ?? '0', 16);
  return `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`;
}
