import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { AuthUser } from '../common/auth.decorators';
import { CallbackService } from '../callback/callback.service';
import { DomainError } from '../common/domain-error';
import type { RequestDeadline } from '../http/request-deadline';
import { BeliGroupCommit } from './beli-group-commit';
import { ProdukService } from '../produk/produk.service';
import { UsersService } from '../users/users.service';
import { BeliDto, BeliResponseDto, TransaksiResponseDto } from './transaksi.dto';
import { Transaksi, TransaksiStatus } from './transaksi.entity';
import { toTransaksiResponse } from './transaksi.mapper';
import { TransaksiProcessor } from './transaksi.processor';
import { TransaksiRepository } from './transaksi.repository';

@Injectable()
export class TransaksiService {
  constructor(
    private readonly transaksi: TransaksiRepository,
    private readonly produk: ProdukService,
    private readonly groupCommit: BeliGroupCommit,
    private readonly users: UsersService,
    private readonly processor: TransaksiProcessor,
    private readonly callbacks: CallbackService,
  ) {}

  /**
   * Accepts a purchase: in one transaction the saldo is debited conditionally, the transaksi row
   * inserted as `pending` and the ledger row written, together with the other purchases of the
   * same reseller that arrived at the same time (BeliGroupCommit). The processor finishes it
   * later. Once the request's `deadline` has answered 503 it is not committed: nothing charged.
   */
  async beli(user: AuthUser, dto: BeliDto, deadline?: RequestDeadline): Promise<BeliResponseDto> {
    const produk = await this.produk.findActive(dto.produk_id);
    if (!produk) throw new DomainError('PRODUK_NOT_FOUND', `Produk ${dto.produk_id} tidak ditemukan atau tidak aktif`);
    if (dto.nominal !== undefined && dto.nominal !== produk.nominal) {
      throw new DomainError('NOMINAL_MISMATCH', `Nominal ${dto.nominal} tidak sesuai dengan produk ${produk.nama} (${produk.nominal})`);
    }

    // No lookup of ref_id first: the unique index (user_id, ref_id) decides inside the
    // transaction, and the rare repeat is answered from the original below. One statement less
    // on every purchase that sends a ref_id.
    const refId = dto.ref_id ?? randomUUID().replace(/-/g, '');
    const callbackUrl = dto.callback_url === undefined ? null : await this.callbacks.purchaseUrl(user.id, dto.callback_url);
    const outcome = await this.groupCommit.submit({
      trx: { userId: user.id, produkId: produk.id, refId, nomorTujuan: dto.nomor_tujuan, nominal: produk.nominal, harga: produk.harga, hargaModal: produk.hargaModal ?? null, kode: produk.kode ?? null, callbackUrl },
      clientRefId: dto.ref_id ?? null,
      keterangan: `Pembelian ${produk.nama} ke ${dto.nomor_tujuan}`,
      deadline,
    });
    if (outcome.kind !== 'accepted') {
      // A repeated ref_id gets its original answer, also when the saldo no longer covers a
      // second purchase (the debit is decided before the insert meets the unique index).
      if (dto.ref_id) {
        const original = await this.transaksi.findByRef(user.id, dto.ref_id);
        if (original) return this.replay(user, original, dto);
      }
      throw new DomainError('INSUFFICIENT_SALDO', `Saldo tidak cukup: harga ${produk.nama} Rp${produk.harga}`);
    }

    this.processor.wake();
    return { id: outcome.id, status: 'pending', ref_id: refId, harga: produk.harga, saldo: outcome.saldo };
  }

  /** One of the caller's transaksi, or 404: another user's id is indistinguishable from a missing one. */
  async getForUser(userId: number, trxId: number): Promise<TransaksiResponseDto> {
    const row = await this.transaksi.findForUser(userId, trxId);
    if (!row) throw new DomainError('TRANSAKSI_NOT_FOUND', `Transaksi ${trxId} tidak ditemukan`);
    return toTransaksiResponse(row);
  }

  async listForUser(userId: number, limit: number, beforeId?: number, status?: TransaksiStatus): Promise<TransaksiResponseDto[]> {
    const rows = await this.transaksi.listForUser(userId, limit, beforeId, status);
    return rows.map(toTransaksiResponse);
  }

  /** A repeated ref_id: the same body gets the original transaksi back and is charged nothing. */
  private async replay(user: AuthUser, existing: Transaksi, dto: BeliDto): Promise<BeliResponseDto> {
    const sameBody =
      existing.produkId === dto.produk_id &&
      existing.nomorTujuan === dto.nomor_tujuan &&
      (dto.nominal === undefined || dto.nominal === existing.nominal);
    if (!sameBody) {
      throw new DomainError('REF_ID_CONFLICT', `ref_id ${existing.refId} sudah dipakai untuk transaksi lain (id ${existing.id})`);
    }
    const saldo = await this.users.getSaldo(user.id);
    return { id: existing.id, status: existing.status, ref_id: existing.refId, harga: existing.harga, saldo };
  }
}
