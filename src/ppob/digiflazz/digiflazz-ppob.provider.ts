import { Logger } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import type { DigiflazzConfig } from '../../config/app.config';
import { PlnCustomer, PpobInProgressError, PpobInquiry, PpobProvider, PpobRequest, PpobResult, PpobUnavailableError } from '../ppob.provider';
import { readTransaction, TransactionVerdict } from './digiflazz-answer';
import { DigiflazzClient, DigiflazzUnreachableError } from './digiflazz.client';
import { rcMeaning } from './digiflazz-rc';

/** Refusals of the request before its ref_id is looked up: 40 payload error, 41 signature, 45 IP not allowed. */
const REQUEST_REFUSED = new Set(['40', '41', '45']);

/** What a purchase is sent as; read from the database, so a retry sends exactly what the first call sent. */
interface Order {
  refId: string;
  customerNo: string;
  sku: string | null;
  maxPrice: number | null;
}

/**
 * The PpobProvider port over a Digiflazz-compatible buyer API.
 *
 * ref_id is the purchase's idempotency key on every call, so a retry after a timeout or a crash
 * is the same supplier transaction: re-sending a ref_id is the supplier's status check. That is
 * also what `inquire` does, and it has a consequence: re-sending a ref_id the supplier never saw
 * CREATES the transaction. So "never executed" (`not-found`, which refunds) is only concluded
 * from an answer that says no transaction exists or was created (the rejection codes 40-48,
 * 61-69, 80-82, 87, 88); anything else is in progress or unknown. The purchase is charged and
 * still wanted, so a transaction created by an inquiry is the purchase itself, never a second one.
 */
export class DigiflazzPpobProvider extends PpobProvider {
  private readonly logger = new Logger('DigiflazzProvider');
  readonly client: DigiflazzClient;

  constructor(
    private readonly config: DigiflazzConfig,
    private readonly dataSource: DataSource,
  ) {
    super();
    this.client = new DigiflazzClient(config);
  }

  async execute(request: PpobRequest, signal?: AbortSignal): Promise<PpobResult> {
    const verdict = await this.send(await this.order(request.idempotencyKey), signal, request.attempt === 1);
    switch (verdict.kind) {
      case 'final':
      case 'rejected':
        return verdict.result;
      case 'in-progress':
        throw new PpobInProgressError(request.idempotencyKey);
      case 'unknown':
        throw new PpobUnavailableError(verdict.reason);
    }
  }

  async inquire(idempotencyKey: string, signal?: AbortSignal): Promise<PpobInquiry> {
    const verdict = await this.send(await this.order(idempotencyKey), signal);
    switch (verdict.kind) {
      case 'final':
        return { state: 'final', result: verdict.result };
      case 'rejected':
        return { state: 'not-found' };
      case 'in-progress':
        return { state: 'in-progress' };
      case 'unknown':
        throw new PpobUnavailableError(verdict.reason);
    }
  }

  async inquirePln(customerNo: string): Promise<PlnCustomer | null> {
    const answer = await this.call('/inquiry-pln', { username: this.client.username, customer_no: customerNo, sign: this.client.sign(customerNo) });
    const data = Array.isArray(answer.data) ? null : answer.data;
    if (answer.httpStatus >= 500 || !data) throw new PpobUnavailableError(`PLN inquiry: supplier answered HTTP ${answer.httpStatus}`);
    if (data.status !== 'Sukses' || typeof data.name !== 'string') {
      // The supplier looked the number up and says it is wrong (54 and the like).
      if (data.status === 'Gagal' && rcMeaning(data.rc) === 'gagal') return null;
      // A limit (86), a refused request (41, 45), an unknown code: nothing said about the customer.
      throw new PpobUnavailableError(`PLN inquiry: supplier answered HTTP ${answer.httpStatus}, rc ${String(data.rc)}`);
    }
    const text = (v: unknown) => (v === undefined || v === null ? '' : String(v));
    return {
      customer_no: text(data.customer_no) || customerNo,
      meter_no: text(data.meter_no),
      subscriber_id: text(data.subscriber_id),
      name: data.name,
      segment_power: text(data.segment_power),
    };
  }

  /**
   * One /transaction call; the same body for the first call, every retry and every status check.
   * `firstCall`: no earlier call with this ref_id can exist (the row's first claim). Otherwise a
   * refusal of the request itself (payload, signature, IP: checked before the supplier looks the
   * ref_id up) says nothing about the transaction an earlier call may have created, so it is no
   * ground for a refund.
   */
  async send(order: Order, signal?: AbortSignal, firstCall = false): Promise<TransactionVerdict> {
    if (!order.sku) return { kind: 'unknown', reason: `product of ref_id ${order.refId} has no supplier code (kode)` };
    const body: Record<string, unknown> = {
      username: this.client.username,
      buyer_sku_code: order.sku,
      customer_no: order.customerNo,
      ref_id: order.refId,
      sign: this.client.sign(order.refId),
    };
    if (this.config.testing) body.testing = true;
    // The supplier never charges more than the price we sold at was computed from.
    if (order.maxPrice !== null) body.max_price = order.maxPrice;
    const answer = await this.call('/transaction', body, signal);
    const verdict = readTransaction(Array.isArray(answer.data) ? null : answer.data, order.refId, answer.httpStatus);
    if (verdict.kind === 'rejected' && !firstCall && REQUEST_REFUSED.has(verdict.result.upstream?.rc ?? '')) {
      return { kind: 'unknown', reason: `supplier refused the request itself (${verdict.result.hasil}); an earlier call with ref_id ${order.refId} may exist` };
    }
    if (verdict.kind === 'rejected' && verdict.result.upstream?.rc === '44') {
      this.logger.error(`SUPPLIER DEPOSIT TOO LOW: ref_id ${order.refId} refused with rc 44; purchases fail (and are refunded) until the supplier deposit is topped up`);
    }
    return verdict;
  }

  private async call(path: string, body: Record<string, unknown>, signal?: AbortSignal) {
    try {
      return await this.client.post(path, body, signal);
    } catch (err) {
      if (err instanceof DigiflazzUnreachableError) throw new PpobUnavailableError(err.message);
      throw err;
    }
  }

  /** The purchase as the supplier is sent it; a key that names no purchase is an error, never a refund. */
  async order(idempotencyKey: string): Promise<Order> {
    const [row]: Array<{ nomor_tujuan: string; kode: string | null; harga_modal: number | string | null }> = await this.dataSource.query(
      // The supplier price the purchase was sold at, not the product's now: a sync since /beli may have raised it.
      'SELECT t.nomor_tujuan, COALESCE(t.kode, p.kode) AS kode, COALESCE(t.harga_modal, p.harga_modal) AS harga_modal FROM transaksi t JOIN produk p ON p.id = t.produk_id WHERE t.id = ?',
      [Number(idempotencyKey)],
    );
    if (!row) throw new PpobUnavailableError(`no purchase for ref_id ${idempotencyKey}`);
    return { refId: idempotencyKey, customerNo: row.nomor_tujuan, sku: row.kode, maxPrice: row.harga_modal === null ? null : Number(row.harga_modal) };
  }
}
