import { createSecretKey, KeyObject } from 'node:crypto';
import { BlockList, isIP } from 'node:net';
import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { AppClock } from '../common/app-clock';
import type { AuthenticatedRequest, AuthUser } from '../common/auth.decorators';
import { DomainError } from '../common/domain-error';
import { SecretBox } from '../common/secret-box';
import { RequestNonceRepository } from './request-nonce.repository';
import { canonicalRequest, NONCE_PATTERN, SIGNATURE_WINDOW_S, signatureMatches, signRequest } from './request-signature';

const PURGE_INTERVAL_MS = 60_000;
const SIGNATURE_PATTERN = /^v1,[A-Za-z0-9+/]{43}=$/;
/** Signing keys kept opened; past this many the map starts again (each is 64 bytes). */
const MAX_OPEN_KEYS = 10_000;

/**
 * The checks after the API key: the IP allow-list (403), then the request signature. A request
 * that carries x-timestamp/x-nonce/x-signature is checked even when the reseller does not
 * require signatures (a wrong signature is never ignored); one without them is refused only
 * when it does. Each refusal has its own code, so a client can tell a clock problem from a
 * replay from a wrong key.
 */
@Injectable()
export class RequestSecurityService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(RequestSecurityService.name);
  private readonly allowLists = new Map<string, BlockList>();
  /**
   * The opened private keys, by their sealed form: opening one (AES-GCM) per request was a
   * fifth of a signed request's CPU. A new key (POST /generate-key) has a new sealed form, so
   * an entry is used exactly as long as the user lookup still returns its sealed form, as
   * before. The process holds the encryption key anyway: what it keeps opened here is no
   * secret it could not open again.
   */
  private readonly signingKeys = new Map<string, KeyObject>();
  private purgeTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly nonces: RequestNonceRepository,
    private readonly secrets: SecretBox,
    private readonly clock: AppClock,
  ) {}

  onApplicationBootstrap(): void {
    this.purgeTimer = setInterval(() => {
      this.nonces.purge().catch((err: Error) => this.logger.warn(`nonce purge failed (${err.message})`));
    }, PURGE_INTERVAL_MS);
    this.purgeTimer.unref();
  }

  onApplicationShutdown(): void {
    if (this.purgeTimer) clearInterval(this.purgeTimer);
  }

  async check(request: AuthenticatedRequest, user: AuthUser): Promise<void> {
    const { ipAllowlist, wajibSignature } = user.security;
    if (ipAllowlist.length > 0 && !this.allowed(ipAllowlist, request.ip)) {
      throw new DomainError('IP_NOT_ALLOWED', `Alamat ${clientAddress(request.ip)} tidak ada di ip_allowlist akun ini`);
    }
    const timestamp = header(request, 'x-timestamp');
    const nonce = header(request, 'x-nonce');
    const signature = header(request, 'x-signature');
    if (timestamp === undefined && nonce === undefined && signature === undefined) {
      if (wajibSignature) throw new DomainError('SIGNATURE_REQUIRED', 'Akun ini mewajibkan request bertanda tangan: kirim x-timestamp, x-nonce dan x-signature');
      return;
    }
    if (timestamp === undefined || nonce === undefined || signature === undefined) {
      throw new DomainError('SIGNATURE_MALFORMED', 'Request bertanda tangan butuh ketiga header: x-timestamp, x-nonce, x-signature');
    }
    if (!/^\d{1,12}$/.test(timestamp) || Math.abs(this.clock.now().getTime() / 1000 - Number(timestamp)) > SIGNATURE_WINDOW_S) {
      throw new DomainError('SIGNATURE_TIMESTAMP', `x-timestamp harus detik unix dalam ${SIGNATURE_WINDOW_S} detik dari waktu server`);
    }
    if (!NONCE_PATTERN.test(nonce)) throw new DomainError('SIGNATURE_MALFORMED', 'x-nonce harus 8-64 karakter A-Z a-z 0-9 . _ ~ -');
    if (!SIGNATURE_PATTERN.test(signature)) throw new DomainError('SIGNATURE_MALFORMED', 'x-signature harus v1,<base64 HMAC-SHA256>');
    if (!user.security.privateKeyEnc) {
      throw new DomainError('SIGNATURE_KEY_UNAVAILABLE', 'Private key akun ini dibuat sebelum request bertanda tangan ada; buat yang baru dengan POST /generate-key');
    }
    const canonical = canonicalRequest(timestamp, nonce, request.method, request.url, request.rawBody ?? '');
    if (!signatureMatches(signature, signRequest(this.signingKey(user.security.privateKeyEnc), canonical))) {
      throw new DomainError('SIGNATURE_INVALID', 'x-signature tidak cocok');
    }
    // Last, so only a correctly signed request can use up a nonce.
    if (!(await this.nonces.claim(user.id, nonce))) throw new DomainError('SIGNATURE_NONCE_REUSED', 'x-nonce ini sudah dipakai');
  }

  private signingKey(sealed: string): KeyObject {
    let key = this.signingKeys.get(sealed);
    if (!key) {
      key = createSecretKey(Buffer.from(this.secrets.open(sealed), 'utf8'));
      if (this.signingKeys.size >= MAX_OPEN_KEYS) this.signingKeys.clear();
      this.signingKeys.set(sealed, key);
    }
    return key;
  }

  private allowed(list: string[], ip: string): boolean {
    const key = list.join(',');
    let blockList = this.allowLists.get(key);
    if (!blockList) {
      blockList = compileAllowList(list);
      if (this.allowLists.size > 10_000) this.allowLists.clear();
      this.allowLists.set(key, blockList);
    }
    const address = clientAddress(ip);
    const family = isIP(address);
    return family !== 0 && blockList.check(address, family === 6 ? 'ipv6' : 'ipv4');
  }
}

/** A BlockList used the other way round: a match means allowed. */
export function compileAllowList(entries: readonly string[]): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const [address, bits] = entry.split('/');
    const type = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) list.addAddress(address, type);
    else list.addSubnet(address, Number(bits), type);
  }
  return list;
}

/** A dual-stack socket reports IPv4 clients as ::ffff:a.b.c.d; the allow-list is written in IPv4. */
export function clientAddress(ip: string): string {
  return ip.startsWith('::ffff:') && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip;
}

function header(request: AuthenticatedRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
