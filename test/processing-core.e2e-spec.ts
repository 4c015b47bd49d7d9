import { setTimeout as sleep } from 'node:timers/promises';
import type { DataSource } from 'typeorm';
import { TransactionRunner } from '../src/database/transaction-runner';
import { TransaksiQueueService } from '../src/transaksi/transaksi-queue.service';
import { LedgerService } from '../src/users/ledger.service';
import { AppInstance, beli, get, registerUser, saldoOf, startInstanceOn, waitFor } from './support/factories';
import { startTestApp, TestApp, useTestApp } from './support/test-app';
import { describeFor, ENGINES } from './support/test-db';

/**
 * The processing core's promises (issue 8): at most one provider call per purchase in flight, a
 * refund only on a definite failure, leases on the database's clock, expired leases never
 * starved, SQLite reads isolated from other requests' open transactions, and customers shown
 * fixed messages. Each block reproduces one defect of the issue.
 */

const SUKSES = '087800000001';
const UPSTREAM_ERROR = '087800000003';
const LONG_AGO = '2000-01-01 00:00:00.000';

async function executions(dataSource: DataSource, id: number): Promise<Array<{ status: string }>> {
  return dataSource.query("SELECT status FROM ppob_sim_eksekusi WHERE transaksi_id = ? AND status IN ('sukses', 'gagal') ORDER BY id", [id]);
}

async function mutasiOf(dataSource: DataSource, transaksiId: number): Promise<string[]> {
  const rows: Array<{ jenis: string }> = await dataSource.query('SELECT jenis FROM mutasi WHERE transaksi_id = ? ORDER BY id', [transaksiId]);
  return rows.map((r) => r.jenis);
}

async function trx(dataSource: DataSource, id: number): Promise<{ status: string; attempts: number; hasil_eksekusi: string | null }> {
  const [row] = await dataSource.query('SELECT status, attempts, hasil_eksekusi FROM transaksi WHERE id = ?', [id]);
  return { status: row.status, attempts: Number(row.attempts), hasil_eksekusi: row.hasil_eksekusi };
}

function waitForFinal(dataSource: DataSource, id: number, timeoutMs: number) {
  return waitFor(async () => {
    const row = await trx(dataSource, id);
    return row.status === 'sukses' || row.status === 'gagal' ? row : undefined;
  }, timeoutMs, `transaksi ${id} to finish`);
}

async function buy(app: TestApp['app'], apiKey: string, body: Record<string, unknown> = {}): Promise<number> {
  const res = await beli(app, apiKey, body);
  if (res.statusCode !== 200) throw new Error(`beli failed: ${res.statusCode} ${res.body}`);
  return res.json().id;
}

describe.each(ENGINES)('processing core on %s', (engine) => {
  describeFor(engine)(engine, () => {
    describe('a provider call that outlives its lease and ignores the abort (defect 1)', () => {
      // The reproduction: a 2 s lease, two attempts, an upstream that delivers after 6 s.
      const t = useTestApp(engine, {
        ALLOW_REGISTER_SALDO: 'true',
        PROCESSOR_LEASE_MS: '2000',
        PROCESSOR_MAX_ATTEMPTS: '2',
        PPOB_SIM_DELAY_MS: '6000',
        PPOB_SIM_IGNORE_ABORT: 'true',
      });

      it('keeps one call in flight, waits for it, and records its delivery without a refund', async () => {
        const user = await registerUser(t.app, { saldo: 100_000 });
        const id = await buy(t.app, user.apiKey, { nomor_tujuan: SUKSES });
        const done = await waitForFinal(t.dataSource, id, 30_000);
        // Long enough for a second, overlapping call (had one started) to deliver as well.
        await sleep(2_500);
        expect(done.status).toBe('sukses');
        expect(await mutasiOf(t.dataSource, id)).toEqual(['debit']);
        expect(await executions(t.dataSource, id)).toEqual([{ status: 'sukses' }]);
        expect(await saldoOf(t.app, user.apiKey)).toBe(88_000);
      }, 40_000);
    });

    describe('two instances whose clocks disagree (defect 2)', () => {
      let a: TestApp;
      let b: AppInstance;
      beforeAll(async () => {
        // A's clock is 20 s behind: a lease it computes from its own clock is over before it starts.
        a = await startTestApp(engine, { ALLOW_REGISTER_SALDO: 'true', PROCESSOR_ENABLED: 'false', APP_CLOCK_OFFSET_MS: '-20000' });
        b = await startInstanceOn(a.db, { PROCESSOR_ENABLED: 'false' });
      });
      afterAll(async () => {
        await b?.close();
        await a?.close();
      });

      it('never lets the second instance claim a row the first has just leased', async () => {
        const user = await registerUser(a.app, { saldo: 100_000 });
        const id = await buy(a.app, user.apiKey);
        const first = await a.app.get(TransaksiQueueService).claim(10);
        expect(first.map((r) => r.id)).toEqual([id]);
        const second = await b.app.get(TransaksiQueueService).claim(10);
        expect(second.map((r) => r.id)).toEqual([]);
      });
    });

    describe('a backlog of pending rows beside an expired lease (defect 3)', () => {
      const t = useTestApp(engine, { ALLOW_REGISTER_SALDO: 'true', PROCESSOR_ENABLED: 'false' });

      it('claims the expired row in the next claim even while pending rows fill it', async () => {
        const user = await registerUser(t.app, { saldo: 10_000_000 });
        const ids: number[] = [];
        for (let i = 0; i < 31; i++) ids.push(await buy(t.app, user.apiKey));
        // The first purchase was claimed by an instance that died: its lease ran out long ago.
        await t.dataSource.query("UPDATE transaksi SET status = 'proses', locked_by = 'dead', locked_until = ?, attempts = 1 WHERE id = ?", [
          LONG_AGO,
          ids[0],
        ]);
        const claimed = await t.app.get(TransaksiQueueService).claim(10);
        expect(claimed.map((r) => r.id)).toContain(ids[0]);
        expect(claimed).toHaveLength(10);
      });
    });

    describe('a read during another request\'s open transaction (defect 6)', () => {
      const t = useTestApp(engine, { ALLOW_REGISTER_SALDO: 'true', PROCESSOR_ENABLED: 'false' });

      it('never shows the saldo of a debit that is then rolled back', async () => {
        const user = await registerUser(t.app, { saldo: 50_000 });
        const tx = t.app.get(TransactionRunner);
        // The read is another request: started from outside the transaction's async context.
        let startRead!: () => void;
        const read = new Promise<void>((resolve) => (startRead = resolve)).then(() => saldoOf(t.app, user.apiKey));
        await expect(
          tx.run(async (manager) => {
            await manager.query('UPDATE users SET saldo = 10000 WHERE email = ?', [user.email]);
            startRead();
            await sleep(200);
            throw new Error('the debit is rolled back');
          }),
        ).rejects.toThrow('the debit is rolled back');
        expect(await read).toBe(50_000);
      });
    });

    describe('an upstream error while the purchase is retried (defect 7)', () => {
      const t = useTestApp(engine, { ALLOW_REGISTER_SALDO: 'true', PROCESSOR_MAX_ATTEMPTS: '2' });

      it('shows the customer a fixed message, never the provider error text', async () => {
        const user = await registerUser(t.app, { saldo: 100_000 });
        const id = await buy(t.app, user.apiKey, { nomor_tujuan: UPSTREAM_ERROR });
        const during = await waitFor(async () => {
          const body = (await get(t.app, user.apiKey, `/status/${id}`)).json();
          return body.status === 'proses' && body.hasil_eksekusi ? body : undefined;
        }, 10_000, 'a retry to be scheduled');
        expect(during.hasil_eksekusi).not.toMatch(/Simulated|timeout/i);
        await waitForFinal(t.dataSource, id, 20_000);
        const after = (await get(t.app, user.apiKey, `/status/${id}`)).json();
        expect(after.status).toBe('gagal');
        expect(after.hasil_eksekusi).toMatch(/\S/);
        expect(after.hasil_eksekusi).not.toMatch(/Simulated|timeout|provider tidak merespons setelah/i);
      }, 30_000);
    });

    describe('a row of this instance whose lease runs out while its call still runs (item 8)', () => {
      const t = useTestApp(engine, { ALLOW_REGISTER_SALDO: 'true', PPOB_SIM_DELAY_MS: '1500' });

      it('is not claimed again by its own instance, so no attempt is spent without a call', async () => {
        const user = await registerUser(t.app, { saldo: 100_000 });
        const id = await buy(t.app, user.apiKey);
        await waitFor(async () => ((await trx(t.dataSource, id)).status === 'proses' ? true : undefined), 5_000, 'the claim');
        await t.dataSource.query('UPDATE transaksi SET locked_until = ? WHERE id = ?', [LONG_AGO, id]);
        const done = await waitForFinal(t.dataSource, id, 10_000);
        expect(done).toMatchObject({ status: 'sukses', attempts: 1 });
      });
    });

    describe('a refund whose balance update matches no user (item 8)', () => {
      const t = useTestApp(engine, { PROCESSOR_ENABLED: 'false' });

      it('fails the transaction instead of skipping the credit', async () => {
        const ledger = t.app.get(LedgerService);
        await expect(
          t.app.get(TransactionRunner).run((manager) =>
            ledger.apply(manager, { userId: 987_654, jumlah: 12_000, jenis: 'refund', transaksiId: null, keterangan: 'Refund' }),
          ),
        ).rejects.toThrow();
      });
    });
  });
});
