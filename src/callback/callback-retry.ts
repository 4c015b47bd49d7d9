import type { SendResult } from './callback-sender';

export type NextStep = { status: 'sukses' | 'gagal' } | { status: 'pending'; retryInMs: number };

/** A receiver's Retry-After is honoured up to this; beyond it the schedule's own step applies. */
const MAX_RETRY_AFTER_MS = 24 * 3_600_000;

/**
 * What becomes of an event after attempt `attempt` (1-based): 2xx delivers it; 410 Gone says
 * the receiver will never want it, so retries stop at once; otherwise the schedule's next step,
 * jittered ±20 % so a receiver that was down is not hit by every instance's backlog in the same
 * second; a Retry-After on 429/503 replaces that step. After the last step: gagal.
 */
export function nextStep(attempt: number, result: Pick<SendResult, 'statusCode' | 'retryAfterMs'>, scheduleMs: readonly number[], random: () => number = Math.random): NextStep {
  const code = result.statusCode;
  if (code !== null && code >= 200 && code < 300) return { status: 'sukses' };
  if (code === 410 || attempt > scheduleMs.length) return { status: 'gagal' };
  if ((code === 429 || code === 503) && result.retryAfterMs !== null && result.retryAfterMs <= MAX_RETRY_AFTER_MS) {
    return { status: 'pending', retryInMs: Math.max(result.retryAfterMs, 1_000) };
  }
  return { status: 'pending', retryInMs: Math.round(scheduleMs[attempt - 1] * (0.8 + 0.4 * random())) };
}
