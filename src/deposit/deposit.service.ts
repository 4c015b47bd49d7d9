import { randomBytes, randomInt } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, LessThan, Repository } from 'typeorm';
import { CallbackOutbox } from '../callback/callback-outbox';
import type { AdminCaller } from '../admin/admin-key.guard';
import { AuditService } from '../audit/audit.service';
import type { AuthUser } from '../common/auth.decorators';
import { isDuplicateKey } from '../common/database-errors';
import { DomainError } from '../common/domain-error';
import { appConfig, AppConfig, DepositBank } from '../config/app.config';
import { execute } from '../database/raw-sql';
import { sqlDateTime } from '../database/sql-time';
import { TransactionRunner } from '../database/transaction-runner';
import { lockUserRow } from '../database/user-lock';
import type { RequestDeadline } from '../http/request-deadline';
import { LedgerService } from '../users/ledger.service';
import { AdminDepositResponseDto, CreateDepositDto, DepositKonfirmasiResponseDto, DepositResponseDto } from './deposit.dto';
import { Deposit, DepositStatus } from './deposit.entity';

/** The unique digits added to a deposit: 1-999 rupiah. */
const MAX_KODE_UNIK = 999;
/** Two instances may pick the same free amount at once; the unique index makes one retry. */
const MAX_CREATE_ATTEMPTS = 5;

/**
 * Deposit tickets: a reseller opens one, transfers jumlah_transfer to the shown account, and an
 * operator who sees that amount arrive confirms the ticket, which credits it through the ledger.
 * Every state change is a conditional UPDATE on status = 'pending', so a ticket is credited at
 * most once however many confirmations race (on one instance or several).
 */
@Injectable()
export class DepositService {
  constructor(
    @InjectRepository(Deposit) private readonly deposits: Repository<Deposit>,
    private readonly ledger: LedgerService,
    private readonly audit: AuditService,
    private readonly tx: TransactionRunner,
    @Inject(appConfig.KEY) private readonly config: AppConfig,
    private readonly outbox: CallbackOutbox,
  ) {}

  async create(user: AuthUser, dto: CreateDepositDto, deadline?: RequestDeadline): Promise<DepositResponseDto> {
    const bank = this.bankFor(dto.bank);
    const { min, max } = this.config.deposit;
    if (dto.jumlah < min || dto.jumlah > max) {
      const message = `jumlah must be from ${min} to ${max}`;
      throw new DomainError('VALIDATION_FAILED', message, [{ field: 'jumlah', message }]);
    }
    for (let attempt = 1; ; attempt++) {
      try {
        // READ COMMITTED: the sweep and the amount lookup lock only the rows they change, not
        // the gaps where concurrent tickets are inserted.
        const row = await this.tx.run((manager) => this.insertTicket(manager, user.id, dto.jumlah, bank), { isolation: 'READ COMMITTED', deadline });
        return toResponse(row, new Date());
      } catch (err) {
        if (!isDuplicateKey(err) || attempt >= MAX_CREATE_ATTEMPTS) throw err;
      }
    }
  }

  async listForUser(userId: number, limit: number, beforeId?: number): Promise<DepositResponseDto[]> {
    const rows = await this.deposits.find({ where: beforeId ? { userId, id: LessThan(beforeId) } : { userId }, order: { id: 'DESC' }, take: limit });
    const now = new Date();
    return rows.map((row) => toResponse(row, now));
  }

  async listAll(limit: number, beforeId?: number, status?: DepositStatus): Promise<AdminDepositResponseDto[]> {
    const now = new Date();
    const query = this.deposits.createQueryBuilder('d').orderBy('d.id', 'DESC').limit(limit);
    if (beforeId) query.andWhere('d.id < :beforeId', { beforeId });
    // A pending ticket past its time is reported as kedaluwarsa before the sweep stores it.
    // Times as UTC text: the same literal compares right on both engines.
    const nowSql = sqlDateTime(now);
    if (status === 'pending') query.andWhere("d.status = 'pending' AND d.kedaluwarsa > :now", { now: nowSql });
    else if (status === 'kedaluwarsa') query.andWhere("(d.status = 'kedaluwarsa' OR (d.status = 'pending' AND d.kedaluwarsa <= :now))", { now: nowSql });
    else if (status) query.andWhere('d.status = :status', { status });
    const rows = await query.getMany();
    return rows.map((row) => toAdminResponse(row, now));
  }

  /**
   * Credits jumlah_transfer (what actually arrived) once; anything but an open ticket is 409.
   * `deadline`: once the request has been answered 503, nothing is committed.
   */
  konfirmasi(admin: AdminCaller, id: number, deadline?: RequestDeadline): Promise<DepositKonfirmasiResponseDto> {
    return this.tx.run(async (manager) => {
      const now = new Date();
      const row = await this.settle(manager, id, 'sukses', admin, now);
      const saldo = await this.ledger.apply(manager, {
        userId: row.userId,
        jumlah: row.jumlahTransfer,
        jenis: 'deposit',
        transaksiId: null,
        keterangan: `Deposit #${row.id} via ${row.bank}`,
      });
      if (saldo === null) throw new Error(`deposit ${row.id}: the credit was not applied`);
      await this.outbox.recordDeposit(manager, row.userId, { ...toResponse(row, now), saldo });
      await this.audit.record(manager, {
        adminId: admin.id,
        aksi: 'deposit.konfirmasi',
        objek: `deposit:${row.id}`,
        sebelum: { status: 'pending', user_id: row.userId, saldo: saldo - row.jumlahTransfer },
        sesudah: { status: 'sukses', user_id: row.userId, saldo, jumlah_transfer: row.jumlahTransfer },
      });
      return { ...toAdminResponse(row, now), saldo };
    }, { deadline });
  }

  tolak(admin: AdminCaller, id: number, deadline?: RequestDeadline): Promise<AdminDepositResponseDto> {
    return this.tx.run(async (manager) => {
      const now = new Date();
      const row = await this.settle(manager, id, 'ditolak', admin, now);
      await this.audit.record(manager, {
        adminId: admin.id,
        aksi: 'deposit.tolak',
        objek: `deposit:${row.id}`,
        sebelum: { status: 'pending', user_id: row.userId, jumlah_transfer: row.jumlahTransfer },
        sesudah: { status: 'ditolak', user_id: row.userId, jumlah_transfer: row.jumlahTransfer },
      });
      return toAdminResponse(row, now);
    }, { deadline });
  }

  private bankFor(name: string): DepositBank {
    const banks = this.config.deposit.banks;
    const bank = banks.find((b) => b.bank.toUpperCase() === name.toUpperCase());
    if (bank) return bank;
    if (banks.length === 0) throw new DomainError('DEPOSIT_BANK_UNKNOWN', 'Belum ada rekening deposit di server ini (DEPOSIT_BANKS kosong); hubungi operator');
    throw new DomainError('DEPOSIT_BANK_UNKNOWN', `Bank ${name} tidak dikenal; pilih salah satu: ${banks.map((b) => b.bank).join(', ')}`);
  }

  private async insertTicket(manager: EntityManager, userId: number, jumlah: number, bank: DepositBank): Promise<Deposit> {
    const now = new Date();
    const nowSql = sqlDateTime(now);
    // Tickets past their time give their transfer amount back before a new amount is chosen.
    await execute(manager, "UPDATE deposit SET status = 'kedaluwarsa', open_transfer = NULL, updated_at = ? WHERE status = 'pending' AND kedaluwarsa <= ?", [nowSql, nowSql]);
    // One reseller's ticket requests queue on its row, so two at once cannot both pass the bound.
    await lockUserRow(manager, this.tx.dialect, userId);
    const [open]: Array<{ n: number | string }> = await manager.query("SELECT COUNT(*) AS n FROM deposit WHERE user_id = ? AND status = 'pending'", [userId]);
    if (Number(open.n) >= this.config.deposit.maxOpen) {
      throw new DomainError('DEPOSIT_TOO_MANY_OPEN', `Sudah ada ${open.n} tiket deposit terbuka (batas ${this.config.deposit.maxOpen}); transfer atau tunggu yang lama kedaluwarsa`);
    }
    const taken: Array<{ open_transfer: number | string }> = await manager.query(
      'SELECT open_transfer FROM deposit WHERE open_transfer BETWEEN ? AND ?',
      [jumlah + 1, jumlah + MAX_KODE_UNIK],
    );
    const takenSet = new Set(taken.map((r) => Number(r.open_transfer) - jumlah));
    const free: number[] = [];
    for (let kode = 1; kode <= MAX_KODE_UNIK; kode++) if (!takenSet.has(kode)) free.push(kode);
    if (free.length === 0) throw new DomainError('DEPOSIT_NO_FREE_CODE', `Semua kode unik untuk jumlah ${jumlah} sedang dipakai; coba jumlah lain`);
    const jumlahTransfer = jumlah + free[randomInt(free.length)];
    const kedaluwarsa = new Date(now.getTime() + this.config.deposit.ttlHours * 3_600_000);
    const berita = `DEP${randomBytes(5).toString('hex').toUpperCase()}`;
    const { insertId } = await execute(
      manager,
      `INSERT INTO deposit (user_id, jumlah, jumlah_transfer, open_transfer, bank, rekening, atas_nama, berita, status, kedaluwarsa, waktu, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?)`,
      [userId, jumlah, jumlahTransfer, jumlahTransfer, bank.bank, bank.rekening, bank.atas_nama, berita, sqlDateTime(kedaluwarsa), nowSql, nowSql],
    );
    return Object.assign(new Deposit(), {
      id: insertId,
      userId,
      jumlah,
      jumlahTransfer,
      openTransfer: jumlahTransfer,
      bank: bank.bank,
      rekening: bank.rekening,
      atasNama: bank.atas_nama,
      berita,
      status: 'pending',
      diprosesOleh: null,
      kedaluwarsa,
      waktu: now,
      updatedAt: now,
    });
  }

  /**
   * Moves an open ticket to its final status, fenced on status = 'pending' and the expiry, so
   * of any number of concurrent confirmations and rejections exactly one changes the row. The
   * read before it only chooses the answer for a ticket that cannot move.
   */
  private async settle(manager: EntityManager, id: number, status: 'sukses' | 'ditolak', admin: AdminCaller, now: Date): Promise<Deposit> {
    const row = await manager.findOne(Deposit, { where: { id } });
    if (!row) throw new DomainError('DEPOSIT_NOT_FOUND', `Deposit ${id} tidak ditemukan`);
    await lockUserRow(manager, this.tx.dialect, row.userId);
    const nowSql = sqlDateTime(now);
    // A rejection of a ticket that ran out of time is still a rejection; a confirmation is not.
    const expiryFence = status === 'sukses' ? ' AND kedaluwarsa > ?' : '';
    const { affected } = await execute(
      manager,
      `UPDATE deposit SET status = ?, open_transfer = NULL, diproses_oleh = ?, updated_at = ? WHERE id = ? AND status = 'pending'${expiryFence}`,
      [status, admin.id, nowSql, id, ...(expiryFence ? [nowSql] : [])],
    );
    if (affected !== 1) {
      if (row.status === 'pending' && row.kedaluwarsa <= now) throw new DomainError('DEPOSIT_EXPIRED', `Deposit ${id} sudah kedaluwarsa; minta reseller membuat tiket baru`);
      const current = row.status === 'pending' ? 'diproses operator lain' : `berstatus ${row.status}`;
      throw new DomainError('DEPOSIT_NOT_PENDING', `Deposit ${id} sudah ${current}; tidak ada yang diubah`);
    }
    return Object.assign(row, { status, openTransfer: null, diprosesOleh: admin.id, updatedAt: now });
  }
}

function shownStatus(row: Deposit, now: Date): DepositStatus {
  return row.status === 'pending' && row.kedaluwarsa <= now ? 'kedaluwarsa' : row.status;
}

function toResponse(row: Deposit, now: Date): DepositResponseDto {
  return {
    id: row.id,
    jumlah: row.jumlah,
    jumlah_transfer: row.jumlahTransfer,
    bank: row.bank,
    rekening: row.rekening,
    atas_nama: row.atasNama,
    berita: row.berita,
    status: shownStatus(row, now),
    kedaluwarsa: row.kedaluwarsa.toISOString(),
  };
}

function toAdminResponse(row: Deposit, now: Date): AdminDepositResponseDto {
  return { ...toResponse(row, now), user_id: row.userId, waktu: row.waktu.toISOString(), diproses_oleh: row.diprosesOleh };
}
