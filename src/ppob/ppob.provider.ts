export interface PpobRequest {
  /** The transaksi id: the upstream must treat a repeated key as the same purchase. */
  idempotencyKey: string;
  transaksiId: number;
  produkId: number;
  nomorTujuan: string;
  nominal: number;
  /**
   * 1 on the first try. A provider may skip its own duplicate check then: the row was claimed
   * for the first time, so no earlier call with this key can exist.
   */
  attempt: number;
}

/**
 * A final outcome from the upstream. `hasil` is the upstream's own text (logged, never shown to
 * customers); `sn` is the serial number / token of a delivered product, which customers need.
 */
export type PpobResult =
  | { status: 'sukses'; hasil: string; sn?: string | null; upstream?: UpstreamRecord }
  | { status: 'gagal'; hasil: string; upstream?: UpstreamRecord };

/** The supplier's own code and message, kept on the purchase for the operator (never shown to customers). */
export interface UpstreamRecord {
  rc: string | null;
  pesan: string | null;
}

/** A PLN customer as the upstream knows them, shown before a token is bought. */
export interface PlnCustomer {
  customer_no: string;
  meter_no: string;
  subscriber_id: string;
  name: string;
  segment_power: string;
}

/** What the upstream says about an idempotency key when asked ("cek status"). */
export type PpobInquiry =
  | { state: 'final'; result: PpobResult }
  /** The upstream has no record of the key: it never executed the purchase. */
  | { state: 'not-found' }
  /** The upstream received the purchase and has not finished it. */
  | { state: 'in-progress' };

/**
 * The port to the upstream PPOB provider.
 *
 * `execute` resolves with a final outcome, or throws when the outcome is unknown (network error,
 * upstream down, aborted): the processor then retries later with the same idempotency key, so
 * the upstream never delivers twice. It throws PpobInProgressError when the upstream answers
 * that it is still working on the key (a repeat of a purchase it already received).
 *
 * `signal` is aborted when the processor stops waiting (the call reached its deadline, or the
 * lease was lost). An implementation should then stop as soon as it can and not start the
 * purchase if it has not yet. The processor still treats the call as in flight until it has
 * actually ended, and nobody retries the purchase before that.
 *
 * `inquire` must tell "never executed" (`not-found`) apart from "cannot say" (throw) and
 * "still running" (`in-progress`): only `not-found` allows a refund.
 */
export abstract class PpobProvider {
  abstract execute(request: PpobRequest, signal?: AbortSignal): Promise<PpobResult>;

  abstract inquire(idempotencyKey: string, signal?: AbortSignal): Promise<PpobInquiry>;

  /** The PLN customer behind a meter or customer number, or null when the upstream knows none. Throws PpobUnavailableError when it cannot say. */
  // Not abstract: test doubles of the purchase path need not implement it.
  inquirePln(_customerNo: string): Promise<PlnCustomer | null> {
    return Promise.reject(new PpobUnavailableError('this provider has no PLN inquiry'));
  }
}

export class PpobUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PpobUnavailableError';
  }
}

/** The upstream has the purchase and has not finished it: ask again later, never refund. */
export class PpobInProgressError extends Error {
  constructor(idempotencyKey: string) {
    super(`upstream is still processing ${idempotencyKey}`);
    this.name = 'PpobInProgressError';
  }
}
