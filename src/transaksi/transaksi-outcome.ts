import type { PpobResult, UpstreamRecord } from '../ppob/ppob.provider';

/**
 * What happens to a claimed purchase, decided in one place. The processor reports what the
 * upstream said (or that it could not find out); decideOutcome() names the next step, and the
 * processor only carries it out. Reading this file is reading the money rules of the processor:
 *
 * - a refund (gagal-with-refund) only on a definite failure: the upstream said gagal, or its
 *   status inquiry said it never received the purchase;
 * - a call that threw, timed out or was aborted locally is `unknown`: it may have been delivered,
 *   so it is retried with the same idempotency key (the upstream deduplicates), never refunded;
 * - after PROCESSOR_MAX_ATTEMPTS calls the upstream is only asked for the status, up to the same
 *   number of times again; while it still cannot tell, the purchase goes to an operator
 *   (perlu_operator), visibly, and stays charged.
 */

/** What one attempt learned from the upstream. */
export type AttemptReport =
  /** The upstream answered with a final outcome (from the call, a late answer, or an inquiry). */
  | { kind: 'result'; result: PpobResult }
  /** The status inquiry says the upstream never received this purchase. */
  | { kind: 'not-executed' }
  /** The upstream has the purchase and has not finished it. */
  | { kind: 'in-progress' }
  /** Nothing definite: the call or inquiry threw, timed out, or was aborted here. */
  | { kind: 'unknown'; reason: string };

export type Outcome =
  | { type: 'sukses'; hasil: string; sn?: string | null; upstream?: UpstreamRecord }
  | { type: 'gagal-refund'; hasil: string; upstream?: UpstreamRecord }
  | { type: 'retry-later'; inMs: number; hasil: string }
  | { type: 'wait-upstream'; inMs: number; hasil: string }
  | { type: 'needs-operator'; hasil: string };

export interface OutcomePolicy {
  maxAttempts: number;
  leaseMs: number;
}

/**
 * The fixed texts customers see in hasil_eksekusi (GET /status). The upstream's own wording and
 * any error detail go to the log only: they may name tables, hosts or the supplier's internals.
 */
export const HASIL = {
  sukses: (sn: string | null | undefined) => (sn ? `Sukses. SN: ${sn}` : 'Sukses'),
  gagalProvider: 'Gagal: transaksi ditolak oleh provider; saldo dikembalikan',
  gagalTidakDiproses: 'Gagal: transaksi tidak diproses oleh provider; saldo dikembalikan',
  retry: 'Sedang diproses: provider belum memberi jawaban, transaksi akan dicoba lagi',
  waitUpstream: 'Sedang diproses oleh provider: menunggu konfirmasi status',
  operator: 'Sedang diperiksa operator: status dari provider belum dapat dipastikan; saldo belum dikembalikan',
} as const;

/** True when this claim only asks the upstream for the status instead of calling it again. */
export function isInquiryAttempt(attempt: number, policy: OutcomePolicy): boolean {
  return attempt > policy.maxAttempts;
}

export function decideOutcome(report: AttemptReport, attempt: number, policy: OutcomePolicy): Outcome {
  switch (report.kind) {
    case 'result':
      return report.result.status === 'sukses'
        ? { type: 'sukses', hasil: HASIL.sukses(report.result.sn), ...upstreamOf(report.result) }
        : { type: 'gagal-refund', hasil: HASIL.gagalProvider, ...upstreamOf(report.result) };
    case 'not-executed':
      // Only an inquiry says this, and only after every allowed call: nothing was delivered.
      return { type: 'gagal-refund', hasil: HASIL.gagalTidakDiproses };
    case 'in-progress':
      if (attempt >= 2 * policy.maxAttempts) return { type: 'needs-operator', hasil: HASIL.operator };
      return { type: 'wait-upstream', inMs: policy.leaseMs, hasil: HASIL.waitUpstream };
    case 'unknown':
      if (attempt >= 2 * policy.maxAttempts) return { type: 'needs-operator', hasil: HASIL.operator };
      return { type: 'retry-later', inMs: retryDelayMs(attempt, policy), hasil: HASIL.retry };
  }
}

/** The serial number and the supplier's rc and message, to keep on the purchase. */
function upstreamOf(result: PpobResult): { sn?: string | null; upstream?: UpstreamRecord } {
  const fields: { sn?: string | null; upstream?: UpstreamRecord } = {};
  if (result.upstream) fields.upstream = result.upstream;
  if (result.status === 'sukses' && result.sn) fields.sn = result.sn;
  return fields;
}

/** 500 ms doubling per attempt, never beyond one lease; inquiries wait a lease between tries. */
function retryDelayMs(attempt: number, policy: OutcomePolicy): number {
  if (isInquiryAttempt(attempt, policy)) return policy.leaseMs;
  return Math.min(policy.leaseMs, 500 * 2 ** (attempt - 1));
}
