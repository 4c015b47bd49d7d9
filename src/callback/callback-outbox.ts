import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { LedgerService } from '../users/ledger.service';
import type { Transaksi } from '../transaksi/transaksi.entity';
import { toTransaksiResponse } from '../transaksi/transaksi.mapper';
import { CallbackRepository } from './callback.repository';

/** A purchase that has just become final, as the settling transaction wrote it. */
export interface FinalTransaksi {
  row: Transaksi;
  status: 'sukses' | 'gagal';
  hasil: string;
  /** The serial number the settling write stored (a supplier's sukses); absent for the simulator's. */
  sn?: string | null;
  updatedAt: Date;
}

/**
 * Writes the `transaksi.sukses` / `transaksi.gagal` events of purchases that just became final,
 * in the transaction that made them final (the caller's `manager`): so a crash can neither lose
 * an event (the status committed, the event did not) nor invent one (the other way round).
 * The unique index on callback_event.transaksi_id makes a second event for one purchase fail
 * the whole transaction instead of being sent.
 *
 * Purchases of resellers with no endpoint and no per-purchase callback_url get no event.
 */
@Injectable()
export class CallbackOutbox {
  constructor(
    private readonly repository: CallbackRepository,
    private readonly ledger: LedgerService,
  ) {}

  /** `deposit.sukses` for a confirmed deposit, in the confirming transaction; only to the endpoint. */
  async recordDeposit(manager: EntityManager, userId: number, data: Record<string, unknown>): Promise<void> {
    const url = (await this.repository.endpointUrls(manager, [userId])).get(userId);
    if (!url) return;
    await this.repository.insertEvents(manager, [{ userId, transaksiId: null, type: 'deposit.sukses', url, data }]);
  }

  async recordFinal(manager: EntityManager, finals: readonly FinalTransaksi[]): Promise<void> {
    if (finals.length === 0) return;
    const needEndpoint = [...new Set(finals.filter((f) => !f.row.callbackUrl).map((f) => f.row.userId))];
    const endpoints = await this.repository.endpointUrls(manager, needEndpoint);
    const targeted = finals.map((f) => ({ ...f, url: f.row.callbackUrl ?? endpoints.get(f.row.userId) ?? null })).filter((f) => f.url !== null);
    if (targeted.length === 0) return;
    const saldo = await this.ledger.saldoOf(manager, [...new Set(targeted.map((f) => f.row.userId))]);
    await this.repository.insertEvents(
      manager,
      targeted.map((f) => ({
        userId: f.row.userId,
        transaksiId: f.row.id,
        type: `transaksi.${f.status}`,
        url: f.url!,
        data: {
          ...toTransaksiResponse(Object.assign(Object.create(Object.getPrototypeOf(f.row)), f.row, { status: f.status, hasilEksekusi: f.hasil.slice(0, 500), sn: f.sn ?? f.row.sn ?? null, updatedAt: f.updatedAt })),
          saldo: saldo.get(f.row.userId) ?? null,
        },
      })),
    );
  }
}
