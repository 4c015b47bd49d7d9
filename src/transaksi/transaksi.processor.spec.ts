import { Logger } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { AppConfig, loadConfig } from '../config/app.config';
import { MetricsService } from '../metrics/metrics.service';
import { PpobInquiry, PpobProvider, PpobRequest, PpobResult } from '../ppob/ppob.provider';
import { FinalizeOutcome, FinalStatus, TransaksiQueueService } from './transaksi-queue.service';
import { Transaksi } from './transaksi.entity';
import { HASIL } from './transaksi-outcome';
import { TransaksiProcessor } from './transaksi.processor';

/**
 * Unit spec of the processor's scheduling: which rows it claims, when, and how many provider
 * calls it has in flight. The queue is an in-memory stand-in; the real claim/finalize against
 * MySQL and SQLite is covered by the e2e specs.
 */

const INTERVAL_NAME = 'transaksi-processor';
const INSTANCE_ID = 'unit-test-instance';

interface Deferred<T> {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (err: Error) => void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (err: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets every queued promise callback run (the fakes below resolve through microtasks only). */
async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function buildTransaksi(overrides: Partial<Transaksi> = {}): Transaksi {
  const now = new Date('2026-01-01T00:00:00.000Z');
  return Object.assign(new Transaksi(), {
    id: 1,
    userId: 1,
    produkId: 1,
    refId: `ref-${overrides.id ?? 1}`,
    nomorTujuan: '087800000001',
    nominal: 10_000,
    harga: 12_000,
    status: 'pending',
    hasilEksekusi: null,
    attempts: 0,
    lockedBy: null,
    lockedUntil: null,
    waktu: now,
    updatedAt: now,
    ...overrides,
  });
}

/** The transaksi table as the processor sees it, over an array. */
class InMemoryQueue {
  readonly rows: Transaksi[] = [];
  readonly claimLimits: number[] = [];
  readonly finalized: Array<{ id: number; result: FinalStatus }> = [];
  readonly postponed: Array<{ id: number; retryInMs: number; reason: string }> = [];
  readonly needsOperator: Array<{ id: number; reason: string }> = [];
  readonly released: number[][] = [];
  readonly claimExcludes: number[][] = [];
  readonly extended: number[][] = [];
  /** Lease given by a claim (the real claim takes PROCESSOR_LEASE_MS). */
  leaseMs = 30_000;
  /** Called at the start of every claim, e.g. to record the processor's free slots. */
  onClaim: (limit: number) => void = () => undefined;
  private nextClaimGate?: Promise<void>;
  private nextClaimError?: Error;
  private nextFinalizeError?: Error;

  add(count: number, overrides: Partial<Transaksi> = {}): void {
    for (let i = 0; i < count; i++) {
      const id = this.rows.length + 1;
      this.rows.push(buildTransaksi({ id, refId: `ref-${id}`, ...overrides }));
    }
  }

  row(id: number): Transaksi {
    const row = this.rows.find((r) => r.id === id);
    if (!row) throw new Error(`no transaksi ${id}`);
    return row;
  }

  /** The next claim waits until the returned function is called. */
  holdNextClaim(): () => void {
    const gate = deferred<void>();
    this.nextClaimGate = gate.promise;
    return () => gate.resolve();
  }

  failNextClaim(err: Error): void {
    this.nextClaimError = err;
  }

  failNextFinalize(err: Error): void {
    this.nextFinalizeError = err;
  }

  async claim(limit: number, exclude: readonly number[] = []): Promise<Transaksi[]> {
    this.claimLimits.push(limit);
    this.claimExcludes.push([...exclude]);
    this.onClaim(limit);
    const gate = this.nextClaimGate;
    this.nextClaimGate = undefined;
    if (gate) await gate;
    const error = this.nextClaimError;
    this.nextClaimError = undefined;
    if (error) throw error;
    const picked = this.rows.filter((r) => r.status === 'pending').slice(0, limit);
    for (const row of picked) {
      row.status = 'proses';
      row.lockedBy = INSTANCE_ID;
      row.lockedUntil = new Date(Date.now() + this.leaseMs);
      row.attempts += 1;
    }
    // The real service re-reads the rows: hand out copies, not the stored objects.
    return picked.map((row) => Object.assign(new Transaksi(), row));
  }

  async extendLeases(ids: readonly number[]): Promise<Set<number>> {
    this.extended.push([...ids]);
    return new Set(ids.filter((id) => this.row(id).status === 'proses' && this.row(id).lockedBy === INSTANCE_ID));
  }

  async markNeedsOperator(row: Transaksi, reason: string): Promise<FinalizeOutcome> {
    this.needsOperator.push({ id: row.id, reason });
    Object.assign(this.row(row.id), { hasilEksekusi: reason, lockedBy: null, perluOperator: true });
    return 'written';
  }

  async finalize(row: Transaksi, result: FinalStatus): Promise<FinalizeOutcome> {
    const error = this.nextFinalizeError;
    this.nextFinalizeError = undefined;
    if (error) throw error;
    const stored = this.row(row.id);
    if (stored.status !== 'proses' || stored.lockedBy !== INSTANCE_ID) return 'lease-lost';
    Object.assign(stored, { status: result.status, hasilEksekusi: result.hasil, lockedBy: null });
    this.finalized.push({ id: row.id, result });
    return 'written';
  }

  async postpone(row: Transaksi, retryInMs: number, reason: string): Promise<FinalizeOutcome> {
    this.postponed.push({ id: row.id, retryInMs, reason });
    this.row(row.id).hasilEksekusi = reason;
    return 'written';
  }

  async release(rows: Transaksi[]): Promise<void> {
    if (rows.length === 0) return;
    this.released.push(rows.map((r) => r.id));
    for (const { id } of rows) Object.assign(this.row(id), { status: 'pending', lockedBy: null, attempts: this.row(id).attempts - 1 });
  }
}

/** A provider whose every call stays open until the test settles it. */
class ControllablePpobProvider extends PpobProvider {
  readonly requests: PpobRequest[] = [];
  readonly open = new Map<number, Deferred<PpobResult>>();
  maxInFlight = 0;

  /** What inquire() answers per transaksi id; ids not listed were never executed. */
  readonly known = new Map<number, PpobInquiry>();
  inquiries: string[] = [];

  get inFlight(): number {
    return this.open.size;
  }

  async inquire(idempotencyKey: string): Promise<PpobInquiry> {
    this.inquiries.push(idempotencyKey);
    return this.known.get(Number(idempotencyKey)) ?? { state: 'not-found' };
  }

  /** When set, an aborted call rejects at once (a provider that honours the signal). */
  honoursAbort = true;
  readonly aborted: number[] = [];

  execute(request: PpobRequest, signal?: AbortSignal): Promise<PpobResult> {
    this.requests.push(request);
    const call = deferred<PpobResult>();
    this.open.set(request.transaksiId, call);
    signal?.addEventListener('abort', () => {
      this.aborted.push(request.transaksiId);
      if (this.honoursAbort && this.open.get(request.transaksiId) === call) this.throwFor(request.transaksiId, signal.reason as Error);
    });
    this.maxInFlight = Math.max(this.maxInFlight, this.open.size);
    return call.promise;
  }

  succeed(transaksiId: number): void {
    this.take(transaksiId).resolve({ status: 'sukses', hasil: `Sukses. SN: ${transaksiId}`, sn: String(transaksiId) });
  }

  fail(transaksiId: number): void {
    this.take(transaksiId).resolve({ status: 'gagal', hasil: 'Gagal: nomor tidak aktif' });
  }

  throwFor(transaksiId: number, err: Error): void {
    this.take(transaksiId).reject(err);
  }

  succeedOldest(): number {
    const [id] = this.open.keys();
    if (id === undefined) throw new Error('no provider call in flight');
    this.succeed(id);
    return id;
  }

  succeedAll(): void {
    for (const id of [...this.open.keys()]) this.succeed(id);
  }

  private take(transaksiId: number): Deferred<PpobResult> {
    const call = this.open.get(transaksiId);
    if (!call) throw new Error(`no provider call in flight for transaksi ${transaksiId}`);
    this.open.delete(transaksiId);
    return call;
  }
}

function configWith(env: Record<string, string> = {}): AppConfig {
  return loadConfig(
    {
      PROCESSOR_INSTANCE_ID: INSTANCE_ID,
      PROCESSOR_CONCURRENCY: '3',
      PROCESSOR_BATCH_SIZE: '2',
      // Far beyond any test: a claim seen in a test was not caused by the interval.
      PROCESSOR_INTERVAL_MS: '600000',
      PROCESSOR_MAX_ATTEMPTS: '3',
      SHUTDOWN_TIMEOUT_MS: '2000',
      ...env,
    },
    '/tmp',
  );
}

describe('TransaksiProcessor', () => {
  let queue: InMemoryQueue;
  let provider: ControllablePpobProvider;
  let scheduler: SchedulerRegistry;
  let sut: TransaksiProcessor;

  function createSut(env: Record<string, string> = {}): TransaksiProcessor {
    sut = new TransaksiProcessor(queue as unknown as TransaksiQueueService, provider, scheduler, new MetricsService(), configWith(env));
    return sut;
  }

  beforeEach(() => {
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'debug').mockImplementation(() => undefined);
    queue = new InMemoryQueue();
    provider = new ControllablePpobProvider();
    scheduler = new SchedulerRegistry();
    createSut();
  });

  afterEach(async () => {
    // Stop claiming first, then finish what is open, so the shutdown wait ends at once.
    const shutdown = sut.beforeApplicationShutdown();
    provider.succeedAll();
    await shutdown;
    // Anything a test left registered would keep Jest alive.
    for (const name of scheduler.getIntervals()) scheduler.deleteInterval(name);
    jest.restoreAllMocks();
  });

  describe('bounded concurrency', () => {
    it('never has more provider calls in flight than PROCESSOR_CONCURRENCY', async () => {
      queue.add(10);
      sut.onApplicationBootstrap();
      await settle();
      expect(provider.inFlight).toBe(3);

      while (queue.finalized.length < 10) {
        provider.succeedOldest();
        await settle();
        expect(provider.inFlight).toBeLessThanOrEqual(3);
      }
      expect(provider.maxInFlight).toBe(3);
      expect(provider.requests.map((r) => r.transaksiId).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    });

    it('claims no more rows than there are free slots, and never more than a batch', async () => {
      const freeAtClaim: number[] = [];
      queue.onClaim = () => freeAtClaim.push(3 - sut.activeCount);
      queue.add(7);
      sut.onApplicationBootstrap();
      await settle();
      // 3 free slots, batches of 2: a batch of 2, then the 1 slot left.
      expect(queue.claimLimits).toEqual([2, 1]);

      while (queue.finalized.length < 7) {
        provider.succeedOldest();
        await settle();
      }
      queue.claimLimits.forEach((limit, i) => {
        expect(limit).toBeGreaterThan(0);
        expect(limit).toBeLessThanOrEqual(2);
        expect(limit).toBeLessThanOrEqual(freeAtClaim[i]);
      });
    });

    it('does not claim at all while every slot is busy', async () => {
      queue.add(5);
      createSut({ PROCESSOR_CONCURRENCY: '2', PROCESSOR_BATCH_SIZE: '2' });
      sut.onApplicationBootstrap();
      await settle();
      expect(queue.claimLimits).toEqual([1, 1]);

      sut.wake();
      sut.wake();
      await settle();
      expect(queue.claimLimits).toEqual([1, 1]);
      expect(provider.inFlight).toBe(2);
    });

    it('counts a row as in flight until its result is written', async () => {
      queue.add(1);
      sut.onApplicationBootstrap();
      await settle();
      expect(sut.activeCount).toBe(1);

      provider.succeed(1);
      await settle();
      expect(sut.activeCount).toBe(0);
      expect(queue.row(1).status).toBe('sukses');
    });
  });

  describe('backlog', () => {
    it('claims again as soon as a row of a full batch finishes, without waiting for the interval', async () => {
      createSut({ PROCESSOR_CONCURRENCY: '2', PROCESSOR_BATCH_SIZE: '2' });
      queue.add(3);
      sut.onApplicationBootstrap();
      await settle();
      expect(queue.claimLimits).toEqual([1, 1]);
      expect(provider.requests.map((r) => r.transaksiId)).toEqual([1, 2]);

      provider.succeed(1);
      await settle();
      expect(queue.claimLimits).toEqual([1, 1, 1]);
      expect(provider.requests.map((r) => r.transaksiId)).toEqual([1, 2, 3]);
    });

    it('claims at most half the slots at a time, so one claim runs while the calls of the other half do', async () => {
      createSut({ PROCESSOR_CONCURRENCY: '10', PROCESSOR_BATCH_SIZE: '100' });
      queue.add(20);
      sut.onApplicationBootstrap();
      await settle();
      expect(queue.claimLimits).toEqual([5, 5]);
      expect(provider.inFlight).toBe(10);
    });

    it('keeps claiming batch after batch while slots are free and batches come back full', async () => {
      createSut({ PROCESSOR_CONCURRENCY: '10', PROCESSOR_BATCH_SIZE: '2' });
      queue.add(5);
      sut.onApplicationBootstrap();
      await settle();
      expect(queue.claimLimits).toEqual([2, 2, 2]);
      expect(provider.inFlight).toBe(5);
    });

    it('waits for the interval or a wake-up once a claim comes back short', async () => {
      queue.add(1);
      sut.onApplicationBootstrap();
      await settle();
      expect(queue.claimLimits).toEqual([2]);

      queue.add(1);
      provider.succeed(1);
      await settle();
      expect(queue.claimLimits).toEqual([2]);
      expect(queue.row(2).status).toBe('pending');

      sut.wake();
      await settle();
      expect(queue.claimLimits).toEqual([2, 2]);
      expect(queue.row(2).status).toBe('proses');
    });

    it('polls on its interval for rows it was not woken for', async () => {
      createSut({ PROCESSOR_INTERVAL_MS: '10' });
      sut.onApplicationBootstrap();
      await settle();
      queue.add(1);
      await waitFor(() => provider.requests.length === 1, 'the interval to pick up the row');
      expect(provider.requests[0].transaksiId).toBe(1);
    });
  });

  describe('each row', () => {
    it('calls the provider with the transaksi id as its idempotency key and writes the result with a fixed text', async () => {
      queue.add(1, { produkId: 3, nomorTujuan: '087800000002', nominal: 50_000 });
      sut.onApplicationBootstrap();
      await settle();
      expect(provider.requests).toEqual([{ idempotencyKey: '1', transaksiId: 1, produkId: 3, nomorTujuan: '087800000002', nominal: 50_000, attempt: 1 }]);

      provider.fail(1);
      await settle();
      // The upstream's own words ('nomor tidak aktif') go to the log, not to the customer.
      expect(queue.finalized).toEqual([{ id: 1, result: { status: 'gagal', hasil: HASIL.gagalProvider, refund: true } }]);
    });

    it('writes sukses with the serial number and no refund', async () => {
      queue.add(1);
      sut.onApplicationBootstrap();
      await settle();
      provider.succeed(1);
      await settle();
      expect(queue.finalized).toEqual([{ id: 1, result: { status: 'sukses', hasil: 'Sukses. SN: 1', refund: false, sn: '1' } }]);
    });

    it('past PROCESSOR_MAX_ATTEMPTS only asks the upstream, and refunds when it never received the purchase', async () => {
      // The claim counts this attempt: 3 earlier attempts make this the 4th, one more than allowed.
      queue.add(1, { attempts: 3 });
      sut.onApplicationBootstrap();
      await settle();
      expect(provider.inquiries).toEqual(['1']);
      expect(provider.requests).toEqual([]);
      expect(queue.finalized).toEqual([{ id: 1, result: { status: 'gagal', hasil: HASIL.gagalTidakDiproses, refund: true } }]);
    });

    it('keeps the outcome of an earlier attempt the upstream delivered', async () => {
      provider.known.set(1, { state: 'final', result: { status: 'sukses', hasil: 'Sukses. SN: 42', sn: '42' } });
      queue.add(1, { attempts: 3 });
      sut.onApplicationBootstrap();
      await settle();
      expect(provider.requests).toEqual([]);
      expect(queue.finalized).toEqual([{ id: 1, result: { status: 'sukses', hasil: 'Sukses. SN: 42', refund: false, sn: '42' } }]);
    });

    it('waits for the upstream, without a refund, while it says the purchase is still in progress', async () => {
      provider.known.set(1, { state: 'in-progress' });
      queue.add(1, { attempts: 3 });
      sut.onApplicationBootstrap();
      await settle();
      expect(queue.finalized).toEqual([]);
      expect(queue.postponed).toEqual([{ id: 1, retryInMs: 30_000, reason: HASIL.waitUpstream }]);
    });

    it('retries later, not refunded, while the upstream cannot say what happened', async () => {
      provider.inquire = async () => {
        throw new Error('upstream down');
      };
      queue.add(1, { attempts: 3 });
      sut.onApplicationBootstrap();
      await settle();
      expect(queue.finalized).toEqual([]);
      expect(queue.postponed).toEqual([{ id: 1, retryInMs: 30_000, reason: HASIL.retry }]);
      expect(queue.row(1).status).toBe('proses');
    });

    it('hands the row to an operator, never refunding it, when the outcome is still unknown after every inquiry', async () => {
      provider.inquire = async () => {
        throw new Error('upstream down');
      };
      queue.add(1, { attempts: 5 });
      sut.onApplicationBootstrap();
      await settle();
      expect(queue.finalized).toEqual([]);
      expect(queue.needsOperator).toEqual([{ id: 1, reason: HASIL.operator }]);
      expect(queue.row(1)).toMatchObject({ status: 'proses', perluOperator: true, lockedBy: null });
    });

    it('bounds the status inquiry: an upstream that never answers it does not hold the row forever (item 8)', async () => {
      createSut({ PROCESSOR_LEASE_MS: '1000' });
      provider.inquire = () => new Promise(() => undefined);
      queue.add(1, { attempts: 3 });
      sut.onApplicationBootstrap();
      await settle();
      expect(sut.activeCount).toBe(1);
      await waitFor(() => sut.activeCount === 0, 'the row to leave the processor', 3_000);
      expect(queue.finalized).toEqual([]);
      expect(queue.row(1).status).toBe('proses');
    });

    it('still calls the provider on the last allowed attempt', async () => {
      queue.add(1, { attempts: 2 });
      sut.onApplicationBootstrap();
      await settle();
      expect(provider.requests.map((r) => r.transaksiId)).toEqual([1]);
      expect(queue.finalized).toEqual([]);
    });

    it('postpones with a fixed text, and does not finalize, a row whose provider call threw', async () => {
      queue.add(1);
      sut.onApplicationBootstrap();
      await settle();

      provider.throwFor(1, new Error('upstream timeout at 10.0.0.7'));
      await settle();
      expect(queue.finalized).toEqual([]);
      expect(queue.postponed).toEqual([{ id: 1, retryInMs: 500, reason: HASIL.retry }]);
      expect(queue.row(1).status).toBe('proses');
      expect(sut.activeCount).toBe(0);
    });

    it('backs off longer on later attempts, never beyond the lease', async () => {
      createSut({ PROCESSOR_MAX_ATTEMPTS: '100', PROCESSOR_LEASE_MS: '10000' });
      queue.add(1, { attempts: 0 });
      queue.add(1, { attempts: 2 });
      queue.add(1, { attempts: 50 });
      sut.onApplicationBootstrap();
      await settle();
      for (const id of [1, 2, 3]) provider.throwFor(id, new Error('upstream down'));
      await settle();

      const retryIn = Object.fromEntries(queue.postponed.map((p) => [p.id, p.retryInMs]));
      expect(retryIn[1]).toBeLessThan(retryIn[2]);
      expect(retryIn[3]).toBe(10_000);
      expect(Object.values(retryIn).every((ms) => ms > 0 && ms <= 10_000)).toBe(true);
    });

    it('aborts a provider call when a quarter lease is left and postpones the row once the call has ended', async () => {
      createSut({ PROCESSOR_LEASE_MS: '1000' });
      queue.add(1);
      sut.onApplicationBootstrap();
      await settle();

      await waitFor(() => queue.postponed.length === 1, 'the postponement');
      expect(provider.aborted).toEqual([1]);
      expect(provider.inFlight).toBe(0);
      expect(queue.postponed[0].reason).toBe(HASIL.retry);
      expect(queue.finalized).toEqual([]);
    });

    it('keeps the outcome of a call that still finishes after the abort, instead of retrying it', async () => {
      createSut({ PROCESSOR_LEASE_MS: '1000' });
      provider.honoursAbort = false;
      queue.add(1);
      sut.onApplicationBootstrap();
      await settle();

      await waitFor(() => provider.aborted.length === 1, 'the abort');
      provider.succeed(1);
      await waitFor(() => queue.finalized.length === 1, 'the result');
      expect(queue.finalized[0].result.status).toBe('sukses');
      expect(queue.postponed).toEqual([]);
    });

    it('holds the row, renewing its lease, for as long as an aborted call still runs (defect 1)', async () => {
      createSut({ PROCESSOR_LEASE_MS: '1000' });
      provider.honoursAbort = false;
      queue.add(1);
      sut.onApplicationBootstrap();
      await settle();

      await waitFor(() => provider.aborted.length === 1, 'the abort');
      // Three leases later the call still runs: the row is still ours, renewed, never handed back.
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      expect(queue.postponed).toEqual([]);
      expect(queue.extended.flat().filter((id) => id === 1).length).toBeGreaterThanOrEqual(3);
      expect(sut.activeCount).toBe(1);
      // Nor claimed back by this instance while it runs.
      sut.wake();
      await settle();
      expect(queue.claimExcludes.at(-1)).toEqual([1]);
      provider.succeed(1);
      await waitFor(() => queue.finalized.length === 1, 'the result');
      expect(provider.requests).toHaveLength(1);
    });

    it('aborts the call and writes nothing once the renewal finds the row taken by another instance', async () => {
      createSut({ PROCESSOR_LEASE_MS: '1000' });
      provider.honoursAbort = false;
      queue.add(1);
      sut.onApplicationBootstrap();
      await settle();
      queue.row(1).lockedBy = 'someone-else';
      await waitFor(() => provider.aborted.length === 1, 'the abort');
      provider.succeed(1);
      await settle();
      expect(queue.finalized).toEqual([]);
    });

    it('retries writing the result from memory while the lease lasts, without calling the provider again', async () => {
      queue.add(1);
      sut.onApplicationBootstrap();
      await settle();

      queue.failNextFinalize(new Error('Connection lost: The server closed the connection.'));
      provider.succeed(1);
      await waitFor(() => queue.row(1).status === 'sukses', 'the second write');
      expect(provider.requests.map((r) => r.transaksiId)).toEqual([1]);
      expect(queue.finalized.map((f) => f.id)).toEqual([1]);
      expect(sut.activeCount).toBe(0);
    });

    it('leaves a row to its lease when the result cannot be written before the lease ends, and keeps working', async () => {
      createSut({ PROCESSOR_LEASE_MS: '1000' });
      queue.add(2);
      sut.onApplicationBootstrap();
      await settle();

      queue.failNextFinalize(new Error('Connection lost: The server closed the connection.'));
      provider.succeed(1);
      await settle();
      // 1 s lease: a retry in 200 ms plus the 1 s margin does not fit, so the row is left to its lease.
      expect(queue.row(1).status).toBe('proses');

      provider.succeed(2);
      await settle();
      expect(queue.row(2).status).toBe('sukses');
      expect(sut.activeCount).toBe(0);
    });
  });

  describe('wake', () => {
    it('does nothing before the application has started', async () => {
      queue.add(1);
      sut.wake();
      await settle();
      expect(queue.claimLimits).toEqual([]);
    });

    it('coalesces wake-ups during a running tick into one more claim', async () => {
      const releaseClaim = queue.holdNextClaim();
      sut.onApplicationBootstrap();
      await settle();
      expect(queue.claimLimits).toHaveLength(1);

      queue.add(1);
      sut.wake();
      sut.wake();
      sut.wake();
      releaseClaim();
      await settle();
      expect(queue.claimLimits).toHaveLength(2);
      expect(provider.requests.map((r) => r.transaksiId)).toEqual([1]);
    });

    it('backs off after a failed claim, then claims again on its own once the pause has passed', async () => {
      queue.add(1);
      queue.failNextClaim(new Error('connect ECONNREFUSED 127.0.0.1:3306'));
      sut.onApplicationBootstrap();
      await settle();
      expect(provider.requests).toEqual([]);

      // Within the pause (at least 187 ms after the first failure) a wake-up claims nothing.
      sut.wake();
      await settle();
      expect(queue.claimLimits).toHaveLength(1);

      const realNow = Date.now();
      jest.spyOn(Date, 'now').mockReturnValue(realNow + 10_000);
      sut.wake();
      await settle();
      expect(queue.claimLimits).toHaveLength(2);
      expect(provider.requests.map((r) => r.transaksiId)).toEqual([1]);
    });

    it('keeps the pause growing while claims keep failing', async () => {
      sut.onApplicationBootstrap();
      await settle();
      let now = Date.now();
      jest.spyOn(Date, 'now').mockImplementation(() => now);
      const pauses: number[] = [];
      for (let i = 0; i < 4; i++) {
        queue.failNextClaim(new Error('connect ECONNREFUSED 127.0.0.1:3306'));
        now += 60_000;
        sut.wake();
        await settle();
        // Find the end of the pause: the first time at which wake() claims again.
        const before = queue.claimLimits.length;
        let waited = 0;
        while (queue.claimLimits.length === before && waited < 10_000) {
          waited += 50;
          now += 50;
          queue.failNextClaim(new Error('still down'));
          sut.wake();
          await settle();
          if (queue.claimLimits.length > before) break;
        }
        pauses.push(waited);
      }
      expect(pauses[1]).toBeGreaterThan(pauses[0]);
      expect(pauses[3]).toBeGreaterThan(pauses[1]);
      expect(Math.max(...pauses)).toBeLessThanOrEqual(5_000 * 1.25 + 50);
    });
  });

  describe('lifecycle', () => {
    it('registers its interval on bootstrap and removes it on shutdown', async () => {
      sut.onApplicationBootstrap();
      expect(scheduler.doesExist('interval', INTERVAL_NAME)).toBe(true);

      await sut.beforeApplicationShutdown();
      expect(scheduler.doesExist('interval', INTERVAL_NAME)).toBe(false);
    });

    it('does not start when PROCESSOR_ENABLED=false', async () => {
      createSut({ PROCESSOR_ENABLED: 'false' });
      queue.add(1);
      sut.onApplicationBootstrap();
      sut.wake();
      await settle();
      expect(queue.claimLimits).toEqual([]);
      expect(scheduler.doesExist('interval', INTERVAL_NAME)).toBe(false);
    });

    it('shuts down at once when nothing is in flight', async () => {
      sut.onApplicationBootstrap();
      await settle();
      await expect(sut.beforeApplicationShutdown()).resolves.toBeUndefined();
    });

    it('on shutdown stops claiming, waits for in-flight calls to finish, then returns', async () => {
      createSut({ PROCESSOR_CONCURRENCY: '2', PROCESSOR_BATCH_SIZE: '2' });
      queue.add(4);
      sut.onApplicationBootstrap();
      await settle();
      expect(provider.inFlight).toBe(2);

      let returned = false;
      const shutdown = sut.beforeApplicationShutdown().then(() => {
        returned = true;
      });
      await settle();
      expect(returned).toBe(false);

      // The batch was full, so a finished row would normally trigger the next claim.
      provider.succeed(1);
      await settle();
      expect(returned).toBe(false);
      expect(queue.claimLimits).toEqual([1, 1]);

      provider.succeed(2);
      await shutdown;
      expect(returned).toBe(true);
      expect(queue.finalized.map((f) => f.id)).toEqual([1, 2]);
      expect(queue.row(3).status).toBe('pending');
      expect(queue.row(4).status).toBe('pending');

      sut.wake();
      await settle();
      expect(queue.claimLimits).toEqual([1, 1]);
    });

    it('returns after SHUTDOWN_TIMEOUT_MS when a provider call does not finish, leaving the row to its lease', async () => {
      createSut({ SHUTDOWN_TIMEOUT_MS: '50' });
      queue.add(1);
      sut.onApplicationBootstrap();
      await settle();

      await sut.beforeApplicationShutdown();
      expect(provider.inFlight).toBe(1);
      expect(queue.finalized).toEqual([]);
      expect(queue.row(1).status).toBe('proses');
    });

    it('returns within its bound even when the claim in progress does not complete', async () => {
      // A claim stuck on a half-open database connection must not hold the shutdown forever
      // (design: "finish or release what is in flight, within a bound"); its rows would keep
      // their lease and be retried elsewhere, as for a provider call cut off by the timeout.
      createSut({ SHUTDOWN_TIMEOUT_MS: '50' });
      const releaseClaim = queue.holdNextClaim();
      sut.onApplicationBootstrap();
      await settle();

      let timer: NodeJS.Timeout | undefined;
      const outcome = await Promise.race([
        sut.beforeApplicationShutdown().then(() => 'returned'),
        new Promise<string>((resolve) => {
          timer = setTimeout(() => resolve('still waiting after 1 s'), 1_000);
        }),
      ]);
      clearTimeout(timer);
      releaseClaim();
      expect(outcome).toBe('returned');
    });

    it('releases, without executing them, rows whose claim completed after shutdown began', async () => {
      queue.add(2);
      const releaseClaim = queue.holdNextClaim();
      sut.onApplicationBootstrap();
      await settle();
      expect(queue.claimLimits).toEqual([2]);

      const shutdown = sut.beforeApplicationShutdown();
      releaseClaim();
      await shutdown;
      expect(queue.released).toEqual([[1, 2]]);
      expect(provider.requests).toEqual([]);
      expect(queue.rows.map((r) => [r.status, r.attempts])).toEqual([
        ['pending', 0],
        ['pending', 0],
      ]);
    });
  });
});
