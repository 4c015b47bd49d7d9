import { withTimeout } from '../common/timeout';
import { PpobInProgressError, PpobProvider, PpobUnavailableError } from '../ppob/ppob.provider';
import type { HeldLease } from './transaksi-lease';
import { AttemptReport, isInquiryAttempt, OutcomePolicy } from './transaksi-outcome';

/**
 * One attempt at a claimed row: call the upstream (or, past PROCESSOR_MAX_ATTEMPTS, only ask it
 * for the status) and report what it said. Never throws: whatever goes wrong is `unknown`.
 *
 * The deadline is the lease actually left (measured from before the claim) minus a quarter
 * lease, so an abort lands inside the lease even if renewals have been failing meanwhile. An aborted call is not forgotten: the attempt waits until the call has
 * really ended (the heartbeat keeps the lease meanwhile), since an HTTP request already sent
 * may still execute. A late answer with an outcome counts; a call ended by the abort is unknown.
 */
export async function runAttempt(
  provider: PpobProvider,
  lease: HeldLease,
  policy: OutcomePolicy,
  onOverdue: (deadlineMs: number) => void,
): Promise<AttemptReport> {
  const { row } = lease;
  const deadlineMs = Math.max(0, Math.floor(lease.leftMs() - policy.leaseMs / 4));
  // Nothing left of the lease but the abort margin: this process stalled (or its claim was
  // acknowledged late) and another instance may already hold the row and be calling. A call
  // started now could only be aborted at once, and an HTTP request already sent may run anyway.
  if (deadlineMs <= 0) return { kind: 'unknown', reason: 'lease nearly over before the call started; not called' };
  if (isInquiryAttempt(row.attempts, policy)) return inquire(provider, lease, deadlineMs);

  const call = provider
    .execute(
      {
        idempotencyKey: String(row.id),
        transaksiId: row.id,
        produkId: row.produkId,
        nomorTujuan: row.nomorTujuan,
        nominal: row.nominal,
        attempt: row.attempts,
      },
      lease.controller.signal,
    )
    .then(
      (result): AttemptReport => ({ kind: 'result', result }),
      (err: unknown): AttemptReport => (err instanceof PpobInProgressError ? { kind: 'in-progress' } : { kind: 'unknown', reason: messageOf(err) }),
    );
  const timer = setTimeout(() => {
    onOverdue(deadlineMs);
    // Made only when needed: an Error captures a stack trace, and this runs for every purchase.
    lease.controller.abort(new PpobUnavailableError(`provider did not answer within ${deadlineMs} ms`));
  }, deadlineMs);
  try {
    return await call;
  } finally {
    clearTimeout(timer);
  }
}

/** An inquiry has no side effect upstream, so one that outlives its deadline is simply left behind. */
async function inquire(provider: PpobProvider, lease: HeldLease, deadlineMs: number): Promise<AttemptReport> {
  const key = String(lease.row.id);
  try {
    const status = await withTimeout(
      provider.inquire(key, lease.controller.signal),
      deadlineMs,
      () => new PpobUnavailableError(`status inquiry not answered within ${deadlineMs} ms`),
    );
    if (status.state === 'final') return { kind: 'result', result: status.result };
    if (status.state === 'not-found') return { kind: 'not-executed' };
    return { kind: 'in-progress' };
  } catch (err) {
    lease.controller.abort(err);
    return { kind: 'unknown', reason: messageOf(err) };
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
