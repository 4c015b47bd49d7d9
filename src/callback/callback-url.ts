import { isIP } from 'node:net';
import { callbackHostTimeout, callbackUrlInvalid } from './callback-errors';
import type { HostResolver, ResolvedAddress } from './host-resolver';

export const CALLBACK_URL_MAX_LENGTH = 2048;

/** A destination that passed the SSRF rules: the URL and the address to connect to. */
export interface CheckedTarget {
  url: URL;
  address: string;
  family: 4 | 6;
}

/**
 * Syntax rules for a callback URL (at save time and again before every dial). The WHATWG parser
 * has already turned decimal, octal and hex IPv4 hosts (`http://2130706433/`, `http://0177.1/`)
 * into dotted form and compressed IPv6, so the address rules below see the real address.
 */
export function parseCallbackUrl(raw: string): URL {
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > CALLBACK_URL_MAX_LENGTH) {
    throw invalid(`url must be an http(s) URL of at most ${CALLBACK_URL_MAX_LENGTH} characters`);
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalid('url is not a valid URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalid('url must use http or https');
  // Credentials in a URL end up in logs and proxies; the signature authenticates us instead.
  if (url.username || url.password) throw invalid('url must not contain a user name or password');
  if (!url.hostname) throw invalid('url must name a host');
  // What is stored is the normalised form, and percent-encoding can make it several times longer.
  if (url.href.length > CALLBACK_URL_MAX_LENGTH) throw invalid(`url must be an http(s) URL of at most ${CALLBACK_URL_MAX_LENGTH} characters once percent-encoded`);
  return url;
}

/**
 * Resolves the host and checks every address it has: one private address among public ones is
 * enough to refuse (DNS can answer differently on the next lookup). The caller connects to the
 * returned address, never resolving the name a second time (no DNS rebinding window).
 *
 * The lookup is given `lookupTimeoutMs`: a resolver that does not answer must cost a failed
 * attempt or a 503, never a request or a dispatcher slot held for as long as the OS waits.
 */
export async function checkCallbackTarget(url: URL, allowPrivate: boolean, resolver: HostResolver, lookupTimeoutMs: number): Promise<CheckedTarget> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const literal = isIP(host);
  let addresses: ResolvedAddress[];
  if (literal) {
    addresses = [{ address: host, family: literal }];
  } else {
    addresses = await lookupWithin(resolver, host, lookupTimeoutMs);
    if (addresses.length === 0) throw invalid(`host ${host} cannot be resolved`);
  }
  if (!allowPrivate) {
    for (const { address } of addresses) {
      const reason = forbiddenAddressReason(address);
      if (reason) throw invalid(`url resolves to a ${reason} address (${address}); only public addresses are allowed`);
    }
  }
  return { url, address: addresses[0].address, family: addresses[0].family === 6 ? 6 : 4 };
}

async function lookupWithin(resolver: HostResolver, host: string, timeoutMs: number): Promise<ResolvedAddress[]> {
  let timer: NodeJS.Timeout | undefined;
  // A resolver that throws at once fails like one that rejects: a 400, never a 500.
  const answer = Promise.resolve().then(() => resolver.lookup(host));
  // Given up on, the lookup may still fail later: that rejection is nobody's to handle.
  answer.catch(() => undefined);
  try {
    return await Promise.race([
      answer.catch(() => {
        throw invalid(`host ${host} cannot be resolved`);
      }),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(callbackHostTimeout(host, timeoutMs)), timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Why an address may not be called back, or null when it is public. */
export function forbiddenAddressReason(address: string): string | null {
  const family = isIP(address);
  if (family === 4) return ipv4Reason(ipv4ToInt(address));
  if (family === 6) return ipv6Reason(ipv6Groups(address));
  return 'malformed';
}

const IPV4_RULES: Array<[string, number, string]> = [
  ['0.0.0.0', 8, 'unspecified'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'CGNAT'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'reserved'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'reserved'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved'],
];

function ipv4Reason(value: number): string | null {
  for (const [base, bits, reason] of IPV4_RULES) {
    const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
    if (((value & mask) >>> 0) === ipv4ToInt(base)) return reason;
  }
  return null;
}

/**
 * IPv6 ranges that are never a public receiver (IANA's special-purpose registry), beyond the
 * forms with an embedded IPv4 judged in ipv6Reason.
 */
const IPV6_RULES: Array<[string, number, string]> = [
  // The local-use NAT64 prefix (RFC 8215) is the operator's own translator, which may embed the
  // IPv4 at any of RFC 6052's positions: nothing in it is a public receiver.
  ['64:ff9b:1::', 48, 'NAT64 local-use'],
  // 6to4 (RFC 3056) and Teredo (RFC 4380) tunnel to an embedded IPv4 address through whichever
  // relay is nearest, possibly one inside our own network. Both are deprecated (RFC 7526) and no
  // real receiver depends on them, so they are refused whole, not judged by their embedded IPv4.
  ['2002::', 16, '6to4'],
  ['2001::', 32, 'Teredo'],
  ['2001:2::', 48, 'benchmarking'],
  ['2001:db8::', 32, 'documentation'],
  ['3fff::', 20, 'documentation'],
  ['100::', 64, 'discard'],
  ['fc00::', 7, 'private'],
  ['fe80::', 10, 'link-local'],
  ['fec0::', 10, 'site-local'],
  ['ff00::', 8, 'multicast'],
];

const IPV6_PREFIXES = IPV6_RULES.map(([base, bits, reason]) => [ipv6Groups(base), bits, reason] as const);

function ipv6Reason(g: number[]): string | null {
  if (g.every((x) => x === 0)) return 'unspecified';
  if (g.slice(0, 7).every((x) => x === 0) && g[7] === 1) return 'loopback';
  // Forms that carry an IPv4 address in their last 32 bits and reach it: IPv4-mapped
  // (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d), SIIT's IPv4-translated (::ffff:0:a.b.c.d,
  // RFC 6145) and the well-known NAT64 prefix (64:ff9b::a.b.c.d, RFC 6052): judge that IPv4.
  const embedded = ((g[6] << 16) | g[7]) >>> 0;
  if (g.slice(0, 5).every((x) => x === 0) && (g[5] === 0xffff || g[5] === 0)) return ipv4Reason(embedded);
  if (g.slice(0, 4).every((x) => x === 0) && g[4] === 0xffff && g[5] === 0) return ipv4Reason(embedded);
  if (g[0] === 0x64 && g[1] === 0xff9b && g.slice(2, 6).every((x) => x === 0)) return ipv4Reason(embedded);
  for (const [base, bits, reason] of IPV6_PREFIXES) {
    if (inPrefix(g, base, bits)) return reason;
  }
  return null;
}

function inPrefix(g: number[], base: number[], bits: number): boolean {
  for (let i = 0; i < 8 && bits > 0; i++, bits -= 16) {
    const mask = bits >= 16 ? 0xffff : (0xffff << (16 - bits)) & 0xffff;
    if ((g[i] & mask) !== base[i]) return false;
  }
  return true;
}

function ipv4ToInt(address: string): number {
  return address.split('.').reduce((acc, part) => ((acc << 8) | Number(part)) >>> 0, 0);
}

/** The eight 16-bit groups of an IPv6 address (compressed, or ending in dotted IPv4). */
function ipv6Groups(address: string): number[] {
  let text = address.toLowerCase().split('%')[0];
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const v4 = ipv4ToInt(dotted[1]);
    text = text.slice(0, -dotted[1].length) + `${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const [head, tail] = text.split('::');
  const left = head ? head.split(':') : [];
  const right = tail === undefined ? [] : tail ? tail.split(':') : [];
  const fill = tail === undefined ? [] : new Array(8 - left.length - right.length).fill('0');
  return [...left, ...fill, ...right].map((part) => parseInt(part, 16));
}

const invalid = callbackUrlInvalid;
