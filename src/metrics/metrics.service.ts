import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** What the queue looks like right now, read from the database at scrape time. */
export interface QueueSnapshot {
  pending: number;
  oldestPendingAgeSeconds: number;
  leaseExpired: number;
  perluOperator: number;
}

/** The database node as /health sees it (src/health/database-node.service.ts). */
export interface NodeSnapshot {
  ready: boolean;
  reason: string | null;
  wsrep: { ready: boolean; primary: boolean; localState: number } | null;
}

export type RetryReason = 'deadlock' | 'lock_wait_timeout';

/**
 * Every metric the service exports, in one place so an operator can read the list. Each app has
 * its own registry (tests boot several apps in one process; prom-client's global registry would
 * refuse the second set of names).
 *
 * Counters are per instance; the queue gauges describe the shared database, so every instance
 * reports the same values (aggregate them with max(), not sum()).
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  readonly httpDuration = new Histogram({
    name: 'ppob_http_request_duration_seconds',
    help: 'HTTP request duration by method, route pattern and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  readonly processed = new Counter({
    name: 'ppob_transaksi_processed_total',
    help: 'Transaksi this instance brought to a final status',
    labelNames: ['status'] as const,
    registers: [this.registry],
  });

  readonly leaseLost = new Counter({
    name: 'ppob_transaksi_lease_lost_total',
    help: 'Results not written because the row was no longer leased to this instance',
    registers: [this.registry],
  });

  readonly providerErrors = new Counter({
    name: 'ppob_provider_errors_total',
    help: 'Provider calls that failed or timed out (the row is retried after a backoff)',
    registers: [this.registry],
  });

  readonly outcomes = new Counter({
    name: 'ppob_transaksi_outcomes_total',
    help: 'What the processor decided for a claimed transaksi: sukses, gagal-refund, retry-later, wait-upstream, needs-operator',
    labelNames: ['outcome'],
    registers: [this.registry],
  });

  readonly upstreamSaldo = new Gauge({
    name: 'ppob_upstream_saldo',
    help: "The supplier deposit (rupiah) at the last /cek-saldo; alert when it runs low",
    registers: [this.registry],
  });

  readonly needsOperator = new Counter({
    name: 'ppob_transaksi_needs_operator_total',
    help: 'Transaksi this instance handed to an operator (perlu_operator): outcome unknown after every attempt, never refunded',
    registers: [this.registry],
  });

  readonly callsOverdue = new Counter({
    name: 'ppob_provider_calls_overdue_total',
    help: 'Provider calls aborted at their deadline; the row stays held (lease renewed) until the call has really ended',
    registers: [this.registry],
  });

  readonly claimDuration = new Histogram({
    name: 'ppob_processor_claim_duration_seconds',
    help: 'Duration of one claim transaction (SELECT ... FOR UPDATE SKIP LOCKED + UPDATE)',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
    registers: [this.registry],
  });

  readonly claimed = new Counter({
    name: 'ppob_processor_claimed_total',
    help: 'Rows claimed by this instance (first attempts and retries)',
    registers: [this.registry],
  });

  readonly pickup = new Histogram({
    name: 'ppob_transaksi_pickup_seconds',
    help: 'Time from purchase to first claim, for rows this instance claimed',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  readonly inFlight = new Gauge({
    name: 'ppob_processor_in_flight',
    help: 'Provider calls in progress on this instance',
    registers: [this.registry],
  });

  readonly claimFailures = new Counter({
    name: 'ppob_processor_claim_failures_total',
    help: 'Claims that failed (database unreachable or erroring); the processor backs off',
    registers: [this.registry],
  });

  readonly txRetries = new Counter({
    name: 'ppob_db_transaction_retries_total',
    help: 'Transactions rolled back and retried after a deadlock (1213) or lock-wait timeout (1205)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly beliBatches = new Counter({
    name: 'ppob_beli_batches_total',
    help: 'Committed /beli group-commit transactions (one debit of one reseller for all its purchases in it)',
    registers: [this.registry],
  });

  readonly beliBatchPurchases = new Counter({
    name: 'ppob_beli_batch_purchases_total',
    help: 'Purchases decided (accepted or refused) by committed /beli group-commit transactions; divided by ppob_beli_batches_total, the mean batch size',
    registers: [this.registry],
  });

  readonly nonceStatements = new Counter({
    name: 'ppob_request_nonce_statements_total',
    help: 'INSERT statements that wrote signed-request nonces; ppob_request_nonce_claims_total divided by this is the mean batch',
    registers: [this.registry],
  });

  readonly nonceClaims = new Counter({
    name: 'ppob_request_nonce_claims_total',
    help: 'Signed-request nonces checked against request_nonce (each a unique insert, written in shared statements)',
    registers: [this.registry],
  });

  readonly deadlocks = new Counter({
    name: 'ppob_db_deadlocks_total',
    help: 'Deadlocks (1213) reported by the database, whether or not the retry then succeeded',
    registers: [this.registry],
  });

  readonly rateLimited = new Counter({
    name: 'ppob_rate_limited_total',
    help: 'Requests answered 429, by limiter (reseller, register, auth-failures)',
    labelNames: ['limiter'] as const,
    registers: [this.registry],
  });

  readonly rateLimitStoreErrors = new Counter({
    name: 'ppob_rate_limit_store_errors_total',
    help: 'Rate-limit counter updates that failed (Redis unreachable); those requests were let through (fail open)',
    registers: [this.registry],
  });

  readonly rateLimitBlockChannelErrors = new Counter({
    name: 'ppob_rate_limit_block_channel_errors_total',
    help: 'Failed-key blocks that could not be told to (or heard from) the other instances through Redis pub/sub; each instance then blocks on its own',
    registers: [this.registry],
  });

  readonly callbackDeliveries = new Counter({
    name: 'ppob_callback_attempts_total',
    help: 'Callback delivery attempts by result: sukses (2xx), retry (failed, tried again later), gagal (410 or retries exhausted)',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

  readonly callbackFailures = new Counter({
    name: 'ppob_callback_dispatch_errors_total',
    help: 'Claims or result writes of the callback dispatcher that failed (database unreachable or erroring)',
    registers: [this.registry],
  });

  private readonly databaseUp = this.gauge('ppob_database_up', '1 when the queue query of this scrape answered, 0 when the database did not');
  private readonly pending = this.gauge('ppob_transaksi_pending', 'Transaksi waiting to be claimed (whole database)');
  private readonly oldestPendingAge = this.gauge(
    'ppob_transaksi_oldest_pending_age_seconds',
    'Age of the oldest pending transaksi, 0 when none (whole database)',
  );
  private readonly leaseExpired = this.gauge(
    'ppob_transaksi_lease_expired',
    'Transaksi in proses whose lease ran out (their instance died or stalled); any instance retries them',
  );
  private readonly perluOperator = this.gauge(
    'ppob_transaksi_perlu_operator',
    'Transaksi the processor could not settle (outcome unknown after every attempt), waiting for an operator (whole database)',
  );
  private readonly nodeReady = this.gauge(
    'ppob_database_node_ready',
    '1 when the database node behind the pool takes writes (as /health sees it), 0 when it is unreachable or not ready',
  );
  private readonly nodeNotReady = new Gauge({
    name: 'ppob_database_node_not_ready',
    help: 'Why the node is not ready: 1 for the current reason (unreachable, wsrep_not_primary, wsrep_not_ready, wsrep_not_synced), 0 for the others seen before',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  /** Galera only: made at the first scrape that sees a wsrep node, so a single server exports none. */
  private readonly notReadyReasons = new Set<string>();
  private wsrepGauges?: { ready: Gauge; primary: Gauge; localState: Gauge };
  private queueSampler?: () => Promise<QueueSnapshot>;
  private nodeSampler?: () => Promise<NodeSnapshot>;

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    // Series that exist from the start, so rate() and alerts work before the first event.
    for (const reason of ['deadlock', 'lock_wait_timeout'] as const) this.txRetries.inc({ reason }, 0);
    for (const status of ['sukses', 'gagal'] as const) this.processed.inc({ status }, 0);
    for (const outcome of ['sukses', 'gagal-refund', 'retry-later', 'wait-upstream', 'needs-operator']) this.outcomes.inc({ outcome }, 0);
  }

  /** The transaksi module provides the query; the metrics module knows nothing about tables. */
  setQueueSampler(sampler: () => Promise<QueueSnapshot>): void {
    this.queueSampler = sampler;
  }

  /** The health module provides the node check. */
  setNodeSampler(sampler: () => Promise<NodeSnapshot>): void {
    this.nodeSampler = sampler;
  }

  /**
   * The Prometheus text. The queue gauges are read from the database first, once per scrape,
   * bounded by the sampler's own timeout; when it fails they are NaN and ppob_database_up is 0.
   */
  async render(): Promise<string> {
    const sample = await this.sample();
    this.databaseUp.set(sample ? 1 : 0);
    this.pending.set(sample?.pending ?? Number.NaN);
    this.oldestPendingAge.set(sample?.oldestPendingAgeSeconds ?? Number.NaN);
    this.leaseExpired.set(sample?.leaseExpired ?? Number.NaN);
    this.perluOperator.set(sample?.perluOperator ?? Number.NaN);
    if (this.nodeSampler) this.recordNode(await this.nodeSampler());
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private recordNode(node: NodeSnapshot): void {
    this.nodeReady.set(node.ready ? 1 : 0);
    if (node.reason) this.notReadyReasons.add(node.reason);
    for (const reason of this.notReadyReasons) this.nodeNotReady.set({ reason }, reason === node.reason ? 1 : 0);
    if (!node.wsrep) return;
    this.wsrepGauges ??= {
      ready: this.gauge('ppob_database_wsrep_ready', 'Galera: 1 when the node says wsrep_ready=ON'),
      primary: this.gauge('ppob_database_wsrep_primary', "Galera: 1 when the node's component has quorum (wsrep_cluster_status=Primary)"),
      localState: this.gauge('ppob_database_wsrep_local_state', 'Galera: wsrep_local_state (4 Synced takes writes; 1 Joining, 2 Donor, 3 Joined)'),
    };
    this.wsrepGauges.ready.set(node.wsrep.ready ? 1 : 0);
    this.wsrepGauges.primary.set(node.wsrep.primary ? 1 : 0);
    this.wsrepGauges.localState.set(node.wsrep.localState);
  }

  private async sample(): Promise<QueueSnapshot | null> {
    if (!this.queueSampler) return null;
    try {
      return await this.queueSampler();
    } catch {
      return null;
    }
  }

  private gauge(name: string, help: string): Gauge {
    return new Gauge({ name, help, registers: [this.registry] });
  }
}
