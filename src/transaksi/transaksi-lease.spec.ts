import { performance } from 'node:perf_hooks';
import { Logger } from '@nestjs/common';
import { MetricsService } from '../metrics/metrics.service';
import { LeaseKeeper } from './transaksi-lease';
import type { TransaksiQueueService } from './transaksi-queue.service';
import { Transaksi } from './transaksi.entity';

/**
 * The heartbeat's answer to a renewal that does not come back. The queue is a stand-in whose
 * renewal never answers: a database connection that stalled, or a pool that has no free
 * connection for this instance while other instances reach the database fine and may claim
 * the row once its lease has run out.
 */

const LEASE_MS = 200;

function row(id: number): Transaksi {
  return Object.assign(new Transaksi(), { id, userId: 1, produkId: 1, status: 'proses', attempts: 1 });
}

async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  return condition();
}

describe('LeaseKeeper', () => {
  let keeper: LeaseKeeper;

  beforeAll(() => {
    jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });
  afterEach(() => keeper?.stop());
  afterAll(() => jest.restoreAllMocks());

  it('aborts a call whose lease has run out while the renewal hangs, as it does when the renewal fails', async () => {
    let renewals = 0;
    const hangingQueue = {
      extendLeases: () => {
        renewals++;
        return new Promise<Set<number>>(() => undefined);
      },
    } as unknown as TransaksiQueueService;
    keeper = new LeaseKeeper(hangingQueue, new MetricsService(), LEASE_MS);
    const lease = keeper.hold(row(1), performance.now());
    keeper.start();

    const aborted = await waitUntil(() => lease.controller.signal.aborted, 5 * LEASE_MS + 2_000);
    expect(renewals).toBeGreaterThan(0);
    expect(lease.leftMs()).toBeLessThanOrEqual(0);
    expect(aborted).toBe(true);
  });

  it('aborts a call whose lease has run out while renewals fail', async () => {
    const failingQueue = { extendLeases: () => Promise.reject(new Error('connection lost')) } as unknown as TransaksiQueueService;
    keeper = new LeaseKeeper(failingQueue, new MetricsService(), LEASE_MS);
    const lease = keeper.hold(row(2), performance.now());
    keeper.start();
    expect(await waitUntil(() => lease.controller.signal.aborted, 5 * LEASE_MS + 2_000)).toBe(true);
  });
});
