import { isIP } from 'node:net';
import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import type { AuthUser } from '../common/auth.decorators';
import { isDuplicateKey } from '../common/database-errors';
import { DomainError } from '../common/domain-error';
import { SecretBox } from '../common/secret-box';
import { TtlCache } from '../common/ttl-cache';
import { appConfig, AppConfig } from '../config/app.config';
import { TransactionRunner } from '../database/transaction-runner';
import type { RequestDeadline } from '../http/request-deadline';
import { generateKey, hashKey } from './api-key';
import { KeamananDto, KeamananResponseDto } from './keamanan.dto';
import { LedgerService } from './ledger.service';
import { clientAddress, compileAllowList } from './request-security.service';
import { Mutasi } from './mutasi.entity';
import { User } from './user.entity';
import { KeysResponseDto, MutasiResponseDto, RegisterDto } from './users.dto';

/** Distinct keys kept by the lookup cache; far above any realistic number of active resellers. */
const KEY_CACHE_ENTRIES = 50_000;

const KEYS_INFO = 'Simpan api_key dan private_key Anda: keduanya tidak akan ditampilkan lagi';
/** Like the original service's answer to /generate-key, which says the keys were renewed. */
const ROTATED_INFO = 'API key dan private key berhasil diperbarui; key lama tidak berlaku lagi. Simpan keduanya: tidak akan ditampilkan lagi';

@Injectable()
export class UsersService {
  /** keyHash -> user, for at most AUTH_CACHE_TTL_MS: the key check is on every request. */
  private readonly keyCache: TtlCache<string, AuthUser>;

  constructor(
    @InjectRepository(User) private readonly users: Repository<User>,
    private readonly ledger: LedgerService,
    private readonly tx: TransactionRunner,
    @Inject(appConfig.KEY) private readonly config: AppConfig,
    private readonly secrets: SecretBox,
  ) {
    this.keyCache = new TtlCache(config.cache.authTtlMs, KEY_CACHE_ENTRIES);
  }

  /** `deadline`: the request's; once it has answered 503 nothing is committed (the retry then succeeds). */
  async register(dto: RegisterDto, deadline?: RequestDeadline): Promise<KeysResponseDto> {
    const saldo = dto.saldo ?? 0;
    if (saldo > 0 && !this.config.allowRegisterSaldo) {
      throw new DomainError('SALDO_NOT_ALLOWED', 'Saldo awal tidak diizinkan di server ini; isi saldo lewat deposit');
    }
    const email = dto.email.toLowerCase();
    const apiKey = generateKey();
    const privateKey = generateKey();
    try {
      await this.tx.run(async (manager) => {
        const now = new Date();
        const { identifiers } = await manager.insert(User, {
          nama: dto.nama,
          email,
          hp: dto.hp ?? null,
          saldo: 0,
          apiKeyHash: hashKey(apiKey),
          privateKeyHash: hashKey(privateKey),
          privateKeyEnc: this.secrets.seal(privateKey),
          createdAt: now,
          updatedAt: now,
        });
        const userId = Number(identifiers[0].id);
        if (saldo > 0) {
          await this.ledger.apply(manager, { userId, jumlah: saldo, jenis: 'saldo_awal', transaksiId: null, keterangan: 'Saldo awal' });
        }
      }, { deadline });
    } catch (err) {
      // The unique index decides, so two concurrent registrations of one email cannot both win.
      if (isDuplicateKey(err)) throw new DomainError('EMAIL_TAKEN', 'User/email sudah terdaftar');
      throw err;
    }
    return { api_key: apiKey, private_key: privateKey, info: KEYS_INFO };
  }

  /**
   * Replaces both keys in place; the old API key stops working with this commit. The update is
   * conditional on the key the caller presented, so of two concurrent rotations with one key
   * only one succeeds and the other gets 401, instead of handing out a key that never works.
   */
  async rotateKeys(user: AuthUser, deadline?: RequestDeadline): Promise<KeysResponseDto> {
    const apiKey = generateKey();
    const privateKey = generateKey();
    const result = await this.tx.run((manager) =>
      manager.update(
        User,
        { id: user.id, apiKeyHash: user.keyHash },
        { apiKeyHash: hashKey(apiKey), privateKeyHash: hashKey(privateKey), privateKeyEnc: this.secrets.seal(privateKey), updatedAt: new Date() },
      ),
      // Answered 503, the rotation must not commit: the new key would never be shown, the old dead.
      { deadline },
    );
    if (result.affected !== 1) throw new DomainError('UNAUTHORIZED', 'API key tidak valid');
    // This instance refuses the old key at once; others within AUTH_CACHE_TTL_MS.
    this.keyCache.delete(user.keyHash);
    return { api_key: apiKey, private_key: privateKey, info: ROTATED_INFO };
  }

  securitySettings(user: AuthUser): KeamananResponseDto {
    return { wajib_signature: user.security.wajibSignature, ip_allowlist: user.security.ipAllowlist, private_key_can_sign: user.security.privateKeyEnc !== null };
  }

  /**
   * PUT /keamanan. Refuses settings that would lock the caller out at once: an allow-list
   * without the address this request came from, or requiring signatures with a private key
   * that cannot sign.
   */
  async updateSecurity(user: AuthUser, dto: KeamananDto, clientIp: string, deadline?: RequestDeadline): Promise<KeamananResponseDto> {
    const next = {
      wajibSignature: dto.wajib_signature ?? user.security.wajibSignature,
      ipAllowlist: dto.ip_allowlist ?? user.security.ipAllowlist,
    };
    if (next.ipAllowlist.length > 0 && !compileAllowList(next.ipAllowlist).check(clientAddress(clientIp), isIP(clientAddress(clientIp)) === 6 ? 'ipv6' : 'ipv4')) {
      throw new DomainError('VALIDATION_FAILED', `ip_allowlist tidak memuat alamat Anda sekarang (${clientAddress(clientIp)}); Anda akan terkunci`, [
        { field: 'ip_allowlist', message: 'must include the address of this request' },
      ]);
    }
    if (next.wajibSignature && !user.security.privateKeyEnc) {
      throw new DomainError('VALIDATION_FAILED', 'Private key Anda belum bisa menandatangani: POST /generate-key dulu', [
        { field: 'wajib_signature', message: 'needs a signing-capable private key (POST /generate-key)' },
      ]);
    }
    await this.tx.run(
      (manager) => manager.update(User, { id: user.id }, { wajibSignature: next.wajibSignature, ipAllowlist: JSON.stringify(next.ipAllowlist), updatedAt: new Date() }),
      { deadline },
    );
    // This instance applies it at once; others within AUTH_CACHE_TTL_MS.
    this.keyCache.delete(user.keyHash);
    return { wajib_signature: next.wajibSignature, ip_allowlist: next.ipAllowlist, private_key_can_sign: user.security.privateKeyEnc !== null };
  }

  findByApiKey(apiKey: string): Promise<AuthUser | null> {
    const keyHash = hashKey(apiKey);
    return this.keyCache.getOrLoad(keyHash, async () => {
      const user = await this.users.findOne({
        where: { apiKeyHash: keyHash },
        select: { id: true, nama: true, email: true, aktif: true, privateKeyEnc: true, wajibSignature: true, ipAllowlist: true, rateLimitPerMinute: true },
      });
      return user
        ? { id: user.id, nama: user.nama, email: user.email, aktif: Boolean(user.aktif), keyHash, rateLimitPerMinute: user.rateLimitPerMinute ?? null, security: securityOf(user) }
        : null;
    });
  }

  /** After a suspension: this instance stops reusing the cached lookup at once (others within AUTH_CACHE_TTL_MS). */
  forgetKey(keyHash: string): void {
    this.keyCache.delete(keyHash);
  }

  async getSaldo(userId: number): Promise<number> {
    const user = await this.users.findOne({ where: { id: userId }, select: { id: true, saldo: true } });
    if (!user) throw new DomainError('UNAUTHORIZED', 'API key tidak valid');
    return user.saldo;
  }

  async listMutasi(userId: number, limit: number, beforeId?: number): Promise<MutasiResponseDto[]> {
    const rows = await this.ledger.listForUser(userId, limit, beforeId);
    return rows.map(toMutasiResponse);
  }
}

function securityOf(user: Pick<User, 'privateKeyEnc' | 'wajibSignature' | 'ipAllowlist'>): AuthUser['security'] {
  return { privateKeyEnc: user.privateKeyEnc, wajibSignature: Boolean(Number(user.wajibSignature)), ipAllowlist: user.ipAllowlist ? (JSON.parse(user.ipAllowlist) as string[]) : [] };
}

function toMutasiResponse(row: Mutasi): MutasiResponseDto {
  return {
    id: row.id,
    transaksi_id: row.transaksiId,
    jenis: row.jenis,
    jumlah: row.jumlah,
    saldo_akhir: row.saldoAkhir,
    keterangan: row.keterangan,
    waktu: row.waktu.toISOString(),
  };
}
