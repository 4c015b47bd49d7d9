import { Inject, Injectable, Logger } from '@nestjs/common';
import { appConfig, AppConfig } from '../config/app.config';
import { isConnectionError, isDuplicateKey } from '../common/database-errors';
import { TransactionRunner } from '../database/transaction-runner';
import type { RequestDeadline } from '../http/request-deadline';
import { MetricsService } from '../metrics/metrics.service';
import { LedgerService } from '../users/ledger.service';
import { NewTransaksi, TransaksiRepository } from './transaksi.repository';

/** One validated purchase waiting for its reseller's next batch. */
export interface PendingPurchase {
  trx: NewTransaksi;
  /** The client's ref_id (null when the server made one up: such a purchase cannot repeat). */
  clientRefId: string | null;
  keterangan: string;
  deadline?: RequestDeadline;
}

/**
 * What the batch decided for one purchase. `repeat`: its ref_id is already a purchase (committed
 * earlier, or the first of this batch with that ref_id); the caller answers it from that one.
 */
export type BeliOutcome = { kind: 'accepted'; id: number; saldo: number } | { kind: 'refused' } | { kind: 'repeat' };

interface Waiter extends PendingPurchase {
  resolve(outcome: BeliOutcome): void;
  reject(err: unknown): void;
}

/**
 * Batches of one reseller in flight at once. The second waits at the database for the first's
 * row lock, so the lock passes straight from one COMMIT to the next debit instead of idling for
 * a round trip through this process; more would only split the queue into smaller batches.
 */
const IN_FLIGHT_PER_RESELLER = 2;

interface Group {
  queue: Waiter[];
  running: number;
  timer: NodeJS.Timeout | null;
}

/** Some purchases' deadlines answered 503 before the batch could commit; the batch rolls back and goes again without them. */
class DeadlinePassed extends Error {
  constructor(readonly late: readonly Waiter[]) {
    super('request deadline passed before commit');
  }
}

/**
 * The /beli group commit: purchases of one reseller that arrive together are written in one
 * transaction, so that reseller's row lock is taken once for all of them (one conditional debit,
 * one multi-row insert into transaksi and one into mutasi) instead of once per purchase, where
 * throughput for one key is one over the lock's hold time.
 *
 * Per reseller at most two batches are in flight. A purchase that finds a free slot waits up to
 * BELI_GROUP_COMMIT_WINDOW_MS for company (0: it starts at once); one that arrives while both
 * are taken waits for one to end and goes in the next, with everyone else who arrived meanwhile. Purchases of different resellers never wait for each other.
 *
 * Each purchase is still decided on its own, in arrival order, on the saldo it would have had
 * (LedgerService.applyDebits). A ref_id repeated inside a batch is one purchase. A batch that
 * fails is rolled back whole: a deadline that answered 503 or a ref_id that already exists takes
 * its purchase out and the rest go again; any other failure (after the runner's deadlock
 * retries) is retried purchase by purchase, so one bad purchase cannot fail its neighbours; the
 * database being away answers every purchase of the batch with that error.
 */
@Injectable()
export class BeliGroupCommit {
  private readonly logger = new Logger(BeliGroupCommit.name);
  private readonly groups = new Map<number, Group>();
  private readonly windowMs: number;
  private readonly maxBatch: number;

  constructor(
    private readonly tx: TransactionRunner,
    private readonly ledger: LedgerService,
    private readonly transaksi: TransaksiRepository,
    private readonly metrics: MetricsService,
    @Inject(appConfig.KEY) config: AppConfig,
  ) {
    this.windowMs = config.beliGroupCommit.windowMs;
    this.maxBatch = config.beliGroupCommit.maxBatch;
  }

  submit(purchase: PendingPurchase): Promise<BeliOutcome> {
    return new Promise<BeliOutcome>((resolve, reject) => {
      const userId = purchase.trx.userId;
      let group = this.groups.get(userId);
      if (!group) {
        group = { queue: [], running: 0, timer: null };
        this.groups.set(userId, group);
      }
      group.queue.push({ ...purchase, resolve, reject });
      if (group.running < IN_FLIGHT_PER_RESELLER && !group.timer) this.schedule(userId, group);
    });
  }

  private schedule(userId: number, group: Group): void {
    // No window: a free slot starts at once. Company comes from the purchases that arrive while
    // this batch is in flight (they form the next one), which costs a lone purchase nothing: the
    // many-reseller path keeps the latency it had before the group commit.
    if (this.windowMs === 0) {
      void this.flush(userId, group);
      return;
    }
    group.timer = setTimeout(() => {
      group.timer = null;
      void this.flush(userId, group);
    }, this.windowMs);
  }

  private async flush(userId: number, group: Group): Promise<void> {
    group.running++;
    const batch = group.queue.splice(0, this.maxBatch);
    try {
      await this.commit(userId, batch);
    } catch (err) {
      // commit() answers every purchase itself; this is a bug guard, not a path.
      this.logger.error(`group commit failed unexpectedly: ${(err as Error).message}`);
      for (const w of batch) w.reject(err);
    } finally {
      group.running--;
      // Whoever arrived meanwhile has already waited for a batch: they go at once.
      if (group.queue.length > 0 && !group.timer) void this.flush(userId, group);
      else if (group.running === 0 && group.queue.length === 0 && !group.timer) this.groups.delete(userId);
    }
  }

  private async commit(userId: number, batch: Waiter[]): Promise<void> {
    // A ref_id repeated inside the batch is one purchase: the first one goes in, the others
    // take its outcome.
    const leaders: Waiter[] = [];
    const followers = new Map<string, Waiter[]>();
    for (const w of batch) {
      if (w.clientRefId !== null && followers.has(w.clientRefId)) followers.get(w.clientRefId)!.push(w);
      else {
        leaders.push(w);
        if (w.clientRefId !== null) followers.set(w.clientRefId, []);
      }
    }
    const settle = (w: Waiter, outcome: BeliOutcome | { error: unknown }) => {
      const others = w.clientRefId !== null ? followers.get(w.clientRefId) ?? [] : [];
      if ('error' in outcome) {
        for (const x of [w, ...others]) x.reject(outcome.error);
        return;
      }
      w.resolve(outcome);
      for (const x of others) x.resolve(outcome.kind === 'accepted' ? { kind: 'repeat' } : outcome);
    };
    await this.commitLeaders(userId, leaders, settle, true);
  }

  /** Writes `leaders` as one transaction, taking out what must not go in, until it commits or fails. */
  private async commitLeaders(
    userId: number,
    leaders: Waiter[],
    settle: (w: Waiter, outcome: BeliOutcome | { error: unknown }) => void,
    mayShare: boolean,
  ): Promise<void> {
    let live = leaders;
    // Each round takes at least one purchase out, so this ends.
    while (live.length > 0) {
      live = live.filter((w) => {
        if (!w.deadline?.expired) return true;
        settle(w, { error: deadlineError(w.deadline) });
        return false;
      });
      if (live.length === 0) return;
      try {
        const outcomes = await this.write(userId, live);
        this.metrics.beliBatches.inc();
        this.metrics.beliBatchPurchases.inc(live.length);
        live.forEach((w, i) => settle(w, outcomes[i]));
        return;
      } catch (err) {
        if (err instanceof DeadlinePassed) {
          for (const w of err.late) settle(w, { error: deadlineError(w.deadline!) });
          live = live.filter((w) => !err.late.includes(w));
          continue;
        }
        if (isDuplicateKey(err)) {
          const existing = await this.transaksi.existingRefs(userId, live.flatMap((w) => (w.clientRefId === null ? [] : [w.clientRefId]))).catch(() => new Set<string>());
          const repeats = live.filter((w) => w.clientRefId !== null && existing.has(w.clientRefId));
          if (repeats.length > 0) {
            for (const w of repeats) settle(w, { kind: 'repeat' });
            live = live.filter((w) => !repeats.includes(w));
            continue;
          }
        }
        if (mayShare && live.length > 1 && !isConnectionError(err)) {
          this.logger.warn(`group commit of ${live.length} purchases failed (${(err as Error).message}); retrying each alone`);
          for (const w of live) await this.commitLeaders(userId, [w], settle, false);
          return;
        }
        for (const w of live) settle(w, { error: err });
        return;
      }
    }
  }

  /** One transaction: the debits, the transaksi rows, the ledger rows; the deadlines checked right before COMMIT. */
  private async write(userId: number, live: readonly Waiter[]): Promise<BeliOutcome[]> {
    const committing: RequestDeadline[] = [];
    try {
      return await this.tx.run(async (manager) => {
        const ids: number[] = [];
        const saldos = await this.ledger.applyDebits(manager, {
          userId,
          jenis: 'debit',
          entries: live.map((w) => ({ jumlah: -w.trx.harga, keterangan: w.keterangan })),
          transaksiIds: async (taken) => {
            ids.push(...(await this.transaksi.insertPendingMany(manager, userId, taken.map((i) => live[i].trx))));
            return ids;
          },
        });
        // A deadline that answered 503 meanwhile: that purchase must not commit, so none of this
        // transaction does. Checked and then held in one synchronous step, so no deadline can
        // answer between the check and the COMMIT.
        const late = live.filter((w) => w.deadline?.expired && !committing.includes(w.deadline));
        if (late.length > 0) throw new DeadlinePassed(late);
        for (const w of live) {
          if (w.deadline && !committing.includes(w.deadline)) {
            w.deadline.beginCommit();
            committing.push(w.deadline);
          }
        }
        let next = 0;
        return saldos.map((saldo): BeliOutcome => (saldo === null ? { kind: 'refused' } : { kind: 'accepted', id: ids[next++], saldo }));
      });
    } finally {
      for (const d of committing) d.endCommit();
    }
  }
}

function deadlineError(deadline: RequestDeadline): unknown {
  try {
    deadline.assertOpen();
  } catch (err) {
    return err;
  }
  return new Error('request deadline passed');
}
