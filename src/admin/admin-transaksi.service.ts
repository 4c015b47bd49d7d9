import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { DomainError } from '../common/domain-error';
import { execute } from '../database/raw-sql';
import { sqlDateTime } from '../database/sql-time';
import { TransactionRunner } from '../database/transaction-runner';
import { lockUserRow } from '../database/user-lock';
import { CallbackOutbox } from '../callback/callback-outbox';
import { toTransaksiResponse, TRANSAKSI_COLUMNS, transaksiFromRow, TransaksiRow } from '../transaksi/transaksi.mapper';
import type { RequestDeadline } from '../http/request-deadline';
import { LedgerService } from '../users/ledger.service';
import type { AdminCaller } from './admin-key.guard';
import { AdminTransaksiQueryDto, AdminTransaksiResponseDto, SelesaikanDto } from './admin-transaksi.dto';

/**
 * "Waits for an operator": a purchase the processor gave up on without a definite answer. The
 * processing core leaves it `proses`, marked perlu_operator, with no lease holder, and never
 * claims it again; only the operator settles it.
 */
const PERLU_OPERATOR = "status = 'proses' AND perlu_operator = 1 AND locked_by IS NULL";

/** The operator's view of purchases: every reseller's, filtered, and the manual settlement. */
@Injectable()
export class AdminTransaksiService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly ledger: LedgerService,
    private readonly audit: AuditService,
    private readonly tx: TransactionRunner,
    private readonly outbox: CallbackOutbox,
  ) {}

  async list(query: AdminTransaksiQueryDto, limit: number): Promise<AdminTransaksiResponseDto[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, ...values: unknown[]) => {
      where.push(sql);
      params.push(...values);
    };
    if (query.before_id) add('id < ?', query.before_id);
    if (query.status) add('status = ?', query.status);
    if (query.perlu_operator === true) add(PERLU_OPERATOR);
    if (query.perlu_operator === false) add(`NOT (${PERLU_OPERATOR})`);
    if (query.user_id) add('user_id = ?', query.user_id);
    if (query.produk_id) add('produk_id = ?', query.produk_id);
    if (query.ref_id) add('ref_id = ?', query.ref_id);
    if (query.nomor_tujuan) add('nomor_tujuan = ?', query.nomor_tujuan);
    if (query.from) add('waktu >= ?', sqlDateTime(instant('from', query.from)));
    if (query.to) add('waktu < ?', sqlDateTime(instant('to', query.to)));
    const rows: TransaksiRow[] = await this.dataSource.query(
      `SELECT ${TRANSAKSI_COLUMNS} FROM transaksi ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`,
      [...params, limit],
    );
    return rows.map(toResponse);
  }

  /**
   * Settles a purchase by hand, fenced like the processor's finalize: one conditional UPDATE on
   * "waiting for an operator" (no lease holder), so a row an instance is executing cannot be
   * settled, and of two concurrent settlements one wins. gagal refunds in the same transaction,
   * so the refund happens exactly once, with the status change.
   */
  async selesaikan(admin: AdminCaller, id: number, dto: SelesaikanDto, deadline?: RequestDeadline): Promise<AdminTransaksiResponseDto> {
    if (dto.status === 'gagal' && dto.sn !== undefined) {
      const message = 'sn is only for sukses';
      throw new DomainError('VALIDATION_FAILED', message, [{ field: 'sn', message }]);
    }
    const note = dto.keterangan ? `: ${dto.keterangan}` : '';
    const hasil = dto.status === 'sukses' ? `Sukses. SN: ${dto.sn} (diselesaikan operator${note})` : `Gagal (diselesaikan operator${note})`;
    return this.tx.run(async (manager) => {
      const [row]: TransaksiRow[] = await manager.query(`SELECT ${TRANSAKSI_COLUMNS} FROM transaksi WHERE id = ?`, [id]);
      if (!row) throw new DomainError('TRANSAKSI_NOT_FOUND', `Transaksi ${id} tidak ditemukan`);
      await lockUserRow(manager, this.tx.dialect, Number(row.user_id));
      const now = new Date();
      const { affected } = await execute(
        manager,
        `UPDATE transaksi SET status = ?, hasil_eksekusi = ?, sn = ?, perlu_operator = 0, locked_until = NULL, updated_at = ? WHERE id = ? AND ${PERLU_OPERATOR}`,
        [dto.status, hasil.slice(0, 500), dto.status === 'sukses' ? dto.sn : null, sqlDateTime(now), id],
      );
      if (affected !== 1) throw notSettleable(row);
      let saldo: number | null = null;
      if (dto.status === 'gagal') {
        saldo = await this.ledger.apply(manager, {
          userId: Number(row.user_id),
          jumlah: Number(row.harga),
          jenis: 'refund',
          transaksiId: id,
          keterangan: `Refund transaksi ${id} (gagal, diselesaikan operator)`,
        });
      }
      // The reseller's callback, in this transaction like the processor's (the outbox).
      await this.outbox.recordFinal(manager, [{ row: transaksiFromRow(row), status: dto.status, hasil, sn: dto.status === 'sukses' ? dto.sn : null, updatedAt: now }]);
      await this.audit.record(manager, {
        adminId: admin.id,
        aksi: 'transaksi.selesaikan',
        objek: `transaksi:${id}`,
        sebelum: { status: row.status, hasil_eksekusi: row.hasil_eksekusi },
        sesudah: { status: dto.status, hasil_eksekusi: hasil, ...(saldo === null ? {} : { refund: Number(row.harga), saldo }) },
      });
      return toResponse({ ...row, status: dto.status, hasil_eksekusi: hasil, sn: dto.status === 'sukses' ? dto.sn : null, perlu_operator: 0, updated_at: now });
    }, { isolation: 'READ COMMITTED', deadline });
  }
}

function notSettleable(row: TransaksiRow): DomainError {
  const why =
    row.status === 'sukses' || row.status === 'gagal'
      ? `sudah ${row.status}`
      : row.status === 'pending'
        ? 'belum diproses (pending); processor akan mengerjakannya'
        : 'sedang dikerjakan processor';
  return new DomainError('TRANSAKSI_NOT_SETTLEABLE', `Transaksi ${row.id} ${why}; tidak ada yang diubah`);
}

function instant(field: string, value: string): Date {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) {
    const message = `${field} must be an ISO-8601 date or time`;
    throw new DomainError('VALIDATION_FAILED', message, [{ field, message }]);
  }
  return date;
}

function toResponse(row: TransaksiRow): AdminTransaksiResponseDto {
  const trx = transaksiFromRow(row);
  return { ...toTransaksiResponse(trx), user_id: trx.userId, perlu_operator: trx.perluOperator, attempts: trx.attempts, upstream_rc: trx.upstreamRc, upstream_pesan: trx.upstreamPesan };
}
