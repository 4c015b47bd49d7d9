import { normalizeIp } from '@nestjs/throttler';

/**
 * The budget a client address counts against, for the per-IP limits (/register, failed key
 * lookups). One IPv6 subscriber is given a /64 (or more), so per address an attacker would have
 * 2^64 budgets: IPv6 counts per /64. IPv4 counts per address, and an IPv4-mapped IPv6 address
 * (::ffff:a.b.c.d) is that IPv4 address. @nestjs/throttler's own normalizeIp, so the guard and
 * the library agree on what one client is.
 */
export function clientKey(ip: string): string {
  // An IPv4 address (no colon) is its own key: the common case parses nothing.
  return ip.includes(':') ? normalizeIp(ip, 64) : ip;
}
