import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Repository } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { isDuplicateKey } from '../common/database-errors';
import { DomainError } from '../common/domain-error';
import { execute } from '../database/raw-sql';
import { sqlDateTime } from '../database/sql-time';
import { TransactionRunner } from '../database/transaction-runner';
import type { RequestDeadline } from '../http/request-deadline';
import { LedgerService } from '../users/ledger.service';
import { User } from '../users/user.entity';
import { UsersService } from '../users/users.service';
import type { AdminCaller } from './admin-key.guard';
import { AdminUserResponseDto, KoreksiResponseDto, KoreksiSaldoDto, PatchUserDto } from './admin-users.dto';

interface KoreksiRow {
  ref: string;
  user_id: number | string;
  jumlah: number | string;
  keterangan: string;
  saldo_akhir: number | string;
}

/** Resellers as the operator sees them: search, suspend, adjust the saldo. */
@Injectable()
export class AdminUsersService {
  constructor(
    @InjectRepository(User) private readonly users: Repository<User>,
    private readonly usersService: UsersService,
    private readonly ledger: LedgerService,
    private readonly audit: AuditService,
    private readonly tx: TransactionRunner,
  ) {}

  async list(limit: number, beforeId?: number, email?: string): Promise<AdminUserResponseDto[]> {
    const query = this.users.createQueryBuilder('u').orderBy('u.id', 'DESC').limit(limit);
    if (beforeId) query.andWhere('u.id < :beforeId', { beforeId });
    // Emails are stored lower-cased; LIKE wildcards in the search text are taken literally.
    if (email) query.andWhere("u.email LIKE :email ESCAPE '!'", { email: `%${email.toLowerCase().replace(/[!%_]/g, (c) => `!${c}`)}%` });
    return (await query.getMany()).map(toUserResponse);
  }

  /**
   * Suspends or reinstates, and/or sets the reseller's own rate limit. This instance forgets the cached key lookup at once; other instances
   * see it within AUTH_CACHE_TTL_MS. Purchases already accepted are not touched: the processor
   * finishes them (a suspension stops new business, it does not cancel paid work).
   */
  async patch(admin: AdminCaller, id: number, dto: PatchUserDto, deadline?: RequestDeadline): Promise<AdminUserResponseDto> {
    const user = await this.tx.run(async (manager) => {
      const before = await this.findOrThrow(manager, id);
      const now = sqlDateTime(new Date());
      if (dto.aktif !== undefined) {
        const aktif = dto.aktif;
        await execute(manager, 'UPDATE users SET aktif = ?, updated_at = ? WHERE id = ?', [aktif ? 1 : 0, now, id]);
        await this.audit.record(manager, { adminId: admin.id, aksi: aktif ? 'user.aktifkan' : 'user.nonaktifkan', objek: `users:${id}`, sebelum: { aktif: Boolean(before.aktif) }, sesudah: { aktif } });
        before.aktif = aktif;
      }
      if (dto.rate_limit_per_minute !== undefined) {
        const limit = dto.rate_limit_per_minute;
        await execute(manager, 'UPDATE users SET rate_limit_per_minute = ?, updated_at = ? WHERE id = ?', [limit, now, id]);
        await this.audit.record(manager, { adminId: admin.id, aksi: 'user.rate_limit', objek: `users:${id}`, sebelum: { rate_limit_per_minute: before.rateLimitPerMinute ?? null }, sesudah: { rate_limit_per_minute: limit } });
        before.rateLimitPerMinute = limit;
      }
      return before;
    }, { deadline });
    this.usersService.forgetKey(user.apiKeyHash);
    return toUserResponse(user);
  }

  /**
   * An operator adjustment (ledger row `koreksi`), applied once per ref. The balance change goes
   * first, as in /beli, so the user's row lock is taken before anything else; a repeated ref then
   * fails on the unique index and the whole transaction, change included, rolls back and the
   * first adjustment is answered instead.
   */
  async koreksi(admin: AdminCaller, userId: number, dto: KoreksiSaldoDto, deadline?: RequestDeadline): Promise<KoreksiResponseDto> {
    try {
      return await this.tx.run(async (manager) => {
        await this.findOrThrow(manager, userId);
        const saldo = await this.ledger.apply(manager, { userId, jumlah: dto.jumlah, jenis: 'koreksi', transaksiId: null, keterangan: `Koreksi ${dto.ref}: ${dto.keterangan}` });
        if (saldo === null) throw new DomainError('KOREKSI_BELOW_ZERO', `Koreksi ${dto.jumlah} akan membuat saldo user ${userId} negatif; tidak ada yang diubah`);
        await execute(manager, 'INSERT INTO saldo_koreksi (ref, user_id, jumlah, saldo_akhir, keterangan, admin_id, waktu) VALUES (?, ?, ?, ?, ?, ?, ?)', [
          dto.ref,
          userId,
          dto.jumlah,
          saldo,
          dto.keterangan,
          admin.id,
          sqlDateTime(new Date()),
        ]);
        await this.audit.record(manager, {
          adminId: admin.id,
          aksi: 'saldo.koreksi',
          objek: `users:${userId}`,
          sebelum: { saldo: saldo - dto.jumlah },
          sesudah: { saldo, jumlah: dto.jumlah, ref: dto.ref },
        });
        return { ref: dto.ref, user_id: userId, jumlah: dto.jumlah, keterangan: dto.keterangan, saldo_akhir: saldo, diulang: false };
      }, { deadline });
    } catch (err) {
      // A repeat also gets its original answer when the saldo no longer covers a second debit.
      const repeat = isDuplicateKey(err) || (err instanceof DomainError && err.code === 'KOREKSI_BELOW_ZERO');
      if (!repeat) throw err;
      const [existing]: KoreksiRow[] = await this.users.query('SELECT ref, user_id, jumlah, keterangan, saldo_akhir FROM saldo_koreksi WHERE ref = ?', [dto.ref]);
      if (!existing) throw err;
      if (Number(existing.user_id) !== userId || Number(existing.jumlah) !== dto.jumlah) {
        throw new DomainError('KOREKSI_REF_CONFLICT', `ref ${dto.ref} sudah dipakai untuk koreksi lain (user ${existing.user_id}, jumlah ${existing.jumlah})`);
      }
      return { ref: existing.ref, user_id: userId, jumlah: dto.jumlah, keterangan: existing.keterangan, saldo_akhir: Number(existing.saldo_akhir), diulang: true };
    }
  }

  private async findOrThrow(manager: EntityManager, id: number): Promise<User> {
    const user = await manager.findOne(User, { where: { id } });
    if (!user) throw new DomainError('USER_NOT_FOUND', `User ${id} tidak ditemukan`);
    return user;
  }
}

function toUserResponse(user: User): AdminUserResponseDto {
  return { id: user.id, nama: user.nama, email: user.email, hp: user.hp, saldo: user.saldo, aktif: Boolean(user.aktif), rate_limit_per_minute: user.rateLimitPerMinute ?? null, created_at: user.createdAt.toISOString() };
}
