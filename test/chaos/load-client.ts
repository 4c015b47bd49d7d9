import { sleep } from '../support/instances';

/**
 * The chaos suite's HTTP client: every request has a client-side timeout and leaves one event
 * (status code, or 'timeout' / 'conn-error', with the time it was sent and answered), and a
 * purchase is retried with the SAME ref_id until it gets a definite answer, as a reseller whose
 * connection dropped would do. ref_id is the server's idempotency key, so a retry of a purchase
 * that was in fact committed returns that purchase instead of charging twice.
 */

export type Outcome = number | 'timeout' | 'conn-error';

export interface HttpEvent {
  kind: 'register' | 'beli';
  /** Instance name (PROCESSOR_INSTANCE_ID) the request went to. */
  instance: string;
  sentAt: number;
  receivedAt: number;
  outcome: Outcome;
  /** `code` of an error body (e.g. DATABASE_UNAVAILABLE), when there is one. */
  code?: string;
  /** Index of the purchase, for beli. */
  purchase?: number;
  /** The error message for timeout / conn-error. */
  error?: string;
  /** The client-side timeout the request had. */
  timeoutMs: number;
}

/** Something that can take a request: an instance currently in the rotation. */
export interface Target {
  name: string;
  baseUrl: string;
}

export class HttpRecorder {
  readonly events: HttpEvent[] = [];
  /** Requests sent and not answered yet, by instance name. */
  readonly inFlight = new Map<string, number>();

  async request(
    target: Target,
    method: 'GET' | 'POST',
    path: string,
    options: { apiKey?: string; body?: unknown; timeoutMs: number; kind: HttpEvent['kind']; purchase?: number },
  ): Promise<{ outcome: Outcome; json: any }> {
    const headers: Record<string, string> = {};
    if (options.apiKey) headers['x-api-key'] = options.apiKey;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const sentAt = Date.now();
    this.inFlight.set(target.name, (this.inFlight.get(target.name) ?? 0) + 1);
    let outcome: Outcome;
    let json: any = null;
    let error: string | undefined;
    try {
      const res = await fetch(`${target.baseUrl}${path}`, {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        // Covers the headers and the body: a frozen database must not hang the client.
        signal: AbortSignal.timeout(options.timeoutMs),
      });
      const text = await res.text();
      outcome = res.status;
      try {
        json = text ? JSON.parse(text) : null;
      } catch {
        json = text;
      }
    } catch (err) {
      const e = err as Error & { cause?: { code?: string; message?: string } };
      outcome = e.name === 'TimeoutError' || e.name === 'AbortError' ? 'timeout' : 'conn-error';
      error = e.cause?.code ?? e.cause?.message ?? e.message;
    } finally {
      this.inFlight.set(target.name, (this.inFlight.get(target.name) ?? 1) - 1);
    }
    this.events.push({
      kind: options.kind,
      instance: target.name,
      sentAt,
      receivedAt: Date.now(),
      outcome,
      code: json && typeof json === 'object' && typeof json.code === 'string' ? json.code : undefined,
      purchase: options.purchase,
      error,
      timeoutMs: options.timeoutMs,
    });
    return { outcome, json };
  }
}

export interface Purchase {
  index: number;
  user: number;
  refId: string;
  produkId: number;
  nomor: string;
  /** What the suite meant to exercise with it. */
  kind: 'sukses' | 'gagal' | 'upstream-error' | 'normal' | 'bad-produk';
  /** An impatient client: its timeout is shorter than the server's answer time under a fault, so it abandons requests the server still completes. */
  impatient: boolean;
}

export interface PurchaseResult {
  purchase: Purchase;
  /** accepted: 200 with an id; refused: a definite 4xx; undecided: no definite answer within the retry budget. */
  result: 'accepted' | 'refused' | 'undecided';
  id?: number;
  /** The definite answer's status and error code. */
  status?: number;
  code?: string;
  /** HTTP requests this purchase took (1 = no retry). */
  requests: number;
  firstSentAt: number;
  decidedAt: number;
}

export interface PurchaseOptions {
  apiKey: string;
  /** The instances in the rotation right now (the suite takes killed ones out). */
  targets: () => Target[];
  /** Client-side timeout of each request. */
  timeoutMs: number;
  /** Give up (undecided) after this long without a definite answer. */
  budgetMs: number;
  /** Give up at once (the scenario broke and the run is ending). */
  stop?: () => boolean;
}

/**
 * One purchase until a definite answer. 2xx and 4xx are definite. A timeout, a connection
 * error or any 5xx is retried with the same ref_id on the next instance in the rotation, with
 * exponential backoff (100 ms doubling, capped at 2 s, with jitter). A 5xx other than 503 is a
 * breach the checks report, but the purchase is still retried: the client cannot know whether
 * it was committed, and the same ref_id makes the retry safe.
 */
export async function purchaseUntilDefinite(recorder: HttpRecorder, purchase: Purchase, options: PurchaseOptions): Promise<PurchaseResult> {
  const firstSentAt = Date.now();
  const deadline = firstSentAt + options.budgetMs;
  for (let attempt = 0; ; attempt++) {
    const targets = options.targets();
    if (targets.length > 0) {
      // Round-robin by purchase index, moving to the next instance on every retry.
      const target = targets[(purchase.index + attempt) % targets.length];
      const { outcome, json } = await recorder.request(target, 'POST', '/beli', {
        apiKey: options.apiKey,
        body: { produk_id: purchase.produkId, nomor_tujuan: purchase.nomor, ref_id: purchase.refId },
        timeoutMs: options.timeoutMs,
        kind: 'beli',
        purchase: purchase.index,
      });
      const base = { purchase, requests: attempt + 1, firstSentAt, decidedAt: Date.now() };
      if (typeof outcome === 'number' && outcome >= 200 && outcome < 300) {
        const id = Number(json?.id);
        if (Number.isInteger(id) && id > 0) return { ...base, result: 'accepted', id, status: outcome };
        // A 2xx without an id is not an answer a client can act on: report it as undecided.
        return { ...base, result: 'undecided', status: outcome, code: `2xx without id: ${JSON.stringify(json)}` };
      }
      if (typeof outcome === 'number' && outcome >= 400 && outcome < 500) {
        return { ...base, result: 'refused', status: outcome, code: json?.code };
      }
    }
    if (Date.now() >= deadline || options.stop?.()) {
      return { purchase, result: 'undecided', requests: attempt + 1, firstSentAt, decidedAt: Date.now() };
    }
    const backoff = Math.min(2_000, 100 * 2 ** Math.min(attempt, 5));
    await sleep(backoff / 2 + Math.random() * (backoff / 2));
  }
}
