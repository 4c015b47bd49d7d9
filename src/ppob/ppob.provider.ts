export interface PpobRequest {
  /** The transaksi id: the upstream must treat a repeated key as the same purchase. */
  idempotencyKey: string;
  transaksiId: number;
  produkId: number;
  nomorTujuan: string;
  nominal: number;
}

export type PpobResult =
  | { status: 'sukses'; hasil: string }
  | { status: 'gagal'; hasil: string };

/**
 * The port to the upstream PPOB provider. `execute` resolves with a final outcome, or throws
 * when the outcome is unknown (network error, upstream down): the processor then retries later
 * with the same idempotency key, so the upstream never delivers twice.
 *
 * `signal` is aborted when the processor stops waiting (the call took half the lease). An
 * implementation must then stop as soon as it can and not start the purchase if it has not
 * yet; the processor waits for the call to end before anyone may retry it.
 */
export abstract class PpobProvider {
  abstract execute(request: PpobRequest, signal?: AbortSignal): Promise<PpobResult>;

  /**
   * The upstream's final outcome for an idempotency key, or null when it never executed that
   * purchase (the aggregators' "cek status"). Throws when the upstream cannot say.
   */
  abstract inquire(idempotencyKey: string): Promise<PpobResult | null>;
}

export class PpobUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PpobUnavailableError';
  }
}
