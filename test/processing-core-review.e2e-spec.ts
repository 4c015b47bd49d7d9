import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DataSource } from 'typeorm';
import { HeldLease } from '../src/transaksi/transaksi-lease';
import { TransaksiQueueService } from '../src/transaksi/transaksi-queue.service';
import { TransaksiProcessor } from '../src/transaksi/transaksi.processor';
import { AppInstance, beli, registerUser, startInstanceOn, waitFor } from './support/factories';
import { startTestApp, TestApp } from './support/test-app';
import { describeFor, ENGINES } from './support/test-db';

/**
 * Adversarial review of the processing core (issue 8): attacks the first review left open.
 * Each block reproduces one defect against the real app and database.
 */

const SUKSES = '087800000001';
const LEASE_MS = 1_000;

async function upstreamRecords(dataSource: DataSource, id: number): Promise<string[]> {
  const rows: Array<{ status: string }> = await dataSource.query('SELECT status FROM ppob_sim_eksekusi WHERE transaksi_id = ? ORDER BY id', [id]);
  return rows.map((r) => r.status);
}

describe.each(ENGINES)('processing core review on %s', (engine) => {
  describeFor(engine)(engine, () => {
    describe('an instance that stalls between its claim and its provider call, past its lease', () => {
      // A stall there (SIGSTOP, a long GC pause, a COMMIT the database acknowledged late) leaves
      // the instance holding a claimed row whose lease has run out; another instance has meanwhile
      // claimed the row as expired and is calling the upstream.
      const env = { PROCESSOR_ENABLED: 'false', PROCESSOR_LEASE_MS: String(LEASE_MS), PPOB_SIM_DELAY_MS: '3000', PPOB_SIM_IGNORE_ABORT: 'true' };
      let a: TestApp;
      let b: AppInstance;
      beforeAll(async () => {
        a = await startTestApp(engine, { ...env, ALLOW_REGISTER_SALDO: 'true' });
        b = await startInstanceOn(a.db, env);
      });
      afterAll(async () => {
        await b?.close();
        await a?.close();
      });

      it('does not start the stale call: the upstream receives one call for the purchase', async () => {
        const user = await registerUser(a.app, { saldo: 100_000 });
        const res = await beli(a.app, user.apiKey, { nomor_tujuan: SUKSES });
        expect(res.statusCode).toBe(200);
        const id: number = res.json().id;

        const claimStartedAt = performance.now();
        const [rowA] = await a.app.get(TransaksiQueueService).claim(10);
        expect(rowA).toMatchObject({ id, attempts: 1 });
        // A stalls here, after its claim and before its call, for longer than the lease.
        await sleep(LEASE_MS + 500);

        const bStartedAt = performance.now();
        const [rowB] = await b.app.get(TransaksiQueueService).claim(10);
        expect(rowB).toMatchObject({ id, attempts: 2 });
        const bWork = b.app.get(TransaksiProcessor).processOne(new HeldLease(rowB, bStartedAt + LEASE_MS));
        await waitFor(async () => ((await upstreamRecords(a.dataSource, id)).length > 0 ? true : undefined), 5_000, "B's call to reach the upstream");

        // A resumes with the lease it took before the stall, as the processor holds it.
        const aWork = a.app.get(TransaksiProcessor).processOne(new HeldLease(rowA, claimStartedAt + LEASE_MS));
        await Promise.all([aWork, bWork]);

        expect(await upstreamRecords(a.dataSource, id)).toEqual(['sukses']);
        const [row] = await a.dataSource.query('SELECT status FROM transaksi WHERE id = ?', [id]);
        expect(row.status).toBe('sukses');
      }, 30_000);
    });
  });
});
