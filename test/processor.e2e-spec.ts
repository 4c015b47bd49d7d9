import { AppInstance, beli, get, registerUser, saldoOf, startInstanceOn, TestUser, waitFor, waitForIdle } from './support/factories';
import { checkLedger, doubleExecutions } from './support/invariants';
import { startTestApp, TestApp, useTestApp } from './support/test-app';
import { describeFor, ENGINES } from './support/test-db';
import type { DataSource } from 'typeorm';

const SUKSES = '087800000001';
const GAGAL = '087800000002';
const UPSTREAM_ERROR = '087800000003';
/** A lease that ran out long ago, as a DATETIME literal both engines compare correctly. */
const LONG_AGO = '2000-01-01 00:00:00.000';
const FAR_FUTURE = '2999-01-01 00:00:00.000';

interface TrxRow {
  id: number;
  status: string;
  attempts: number;
  locked_by: string | null;
  hasil_eksekusi: string | null;
}

async function trxRow(dataSource: DataSource, id: number): Promise<TrxRow> {
  const [row] = await dataSource.query('SELECT id, status, attempts, locked_by, hasil_eksekusi FROM transaksi WHERE id = ?', [id]);
  return { ...row, id: Number(row.id), attempts: Number(row.attempts) };
}

async function executions(dataSource: DataSource, id: number): Promise<Array<{ instance_id: string; status: string }>> {
  return dataSource.query('SELECT instance_id, status FROM ppob_sim_eksekusi WHERE transaksi_id = ? ORDER BY id', [id]);
}

async function mutasiOf(dataSource: DataSource, transaksiId: number): Promise<Array<{ jenis: string; jumlah: number }>> {
  const rows: Array<{ jenis: string; jumlah: string | number }> = await dataSource.query(
    'SELECT jenis, jumlah FROM mutasi WHERE transaksi_id = ? ORDER BY id',
    [transaksiId],
  );
  return rows.map((r) => ({ jenis: r.jenis, jumlah: Number(r.jumlah) }));
}

function waitForFinal(dataSource: DataSource, id: number, timeoutMs = 10_000): Promise<TrxRow> {
  return waitFor(async () => {
    const row = await trxRow(dataSource, id);
    return row.status === 'sukses' || row.status === 'gagal' ? row : undefined;
  }, timeoutMs, `transaksi ${id} to finish`);
}

async function expectLedgerInvariants(dataSource: DataSource): Promise<void> {
  const checks = await checkLedger(dataSource);
  expect(checks.length).toBeGreaterThan(0);
  for (const check of checks) {
    expect(check.saldo).toBe(check.ledgerSum);
    expect(check.saldo).toBe(check.lastSaldoAkhir ?? 0);
    expect(check.saldo).toBe(check.expectedSaldo);
  }
  expect(await doubleExecutions(dataSource)).toEqual([]);
}

async function buy(t: { app: TestApp['app'] }, user: TestUser, body: Record<string, unknown>): Promise<number> {
  const res = await beli(t.app, user.apiKey, body);
  if (res.statusCode !== 200) throw new Error(`beli failed: ${res.statusCode} ${res.body}`);
  return res.json().id;
}

describe.each(ENGINES)('transaksi processor on %s', (engine) => {
  describeFor(engine)(engine, () => {
    describe('when the upstream keeps failing (PROCESSOR_MAX_ATTEMPTS=2)', () => {
      const t = useTestApp(engine, { PROCESSOR_MAX_ATTEMPTS: '2' });

      it('retries, then ends gagal and refunds the saldo once the attempts run out', async () => {
        const user = await registerUser(t.app, { saldo: 100_000 });
        const res = await beli(t.app, user.apiKey, { produk_id: 1, nomor_tujuan: UPSTREAM_ERROR });
        expect(res.statusCode).toBe(200);
        expect(res.json().saldo).toBe(88_000);
        const id = res.json().id;

        // Backoff 500 ms then 1000 ms before the attempts are exhausted.
        const done = await waitForFinal(t.dataSource, id, 15_000);
        expect(done.status).toBe('gagal');
        expect(done.locked_by).toBeNull();
        // Claimed at least once per allowed attempt, and not retried without bound.
        expect(done.attempts).toBeGreaterThanOrEqual(2);
        expect(done.attempts).toBeLessThanOrEqual(3);
        // The upstream never executed it, and the refund happened exactly once.
        expect(await executions(t.dataSource, id)).toEqual([]);
        expect(await mutasiOf(t.dataSource, id)).toEqual([
          { jenis: 'debit', jumlah: -12_000 },
          { jenis: 'refund', jumlah: 12_000 },
        ]);
        expect(await saldoOf(t.app, user.apiKey)).toBe(100_000);
        const status = (await get(t.app, user.apiKey, `/status/${id}`)).json();
        expect(status).toMatchObject({ id, status: 'gagal', hasil_eksekusi: expect.stringMatching(/\S/) });
        await expectLedgerInvariants(t.dataSource);
      });
    });

    describe('when a lease is lost while the provider is executing (fenced finalize)', () => {
      const t = useTestApp(engine, { PPOB_SIM_DELAY_MS: '300' });

      it('does not write the result of an instance whose row was taken by another instance', async () => {
        const user = await registerUser(t.app, { saldo: 100_000 });
        // The sandbox gagal number: an unfenced write would refund, which is easy to see.
        const id = await buy(t, user, { produk_id: 3, nomor_tujuan: GAGAL });
        expect(await saldoOf(t.app, user.apiKey)).toBe(49_000);

        await waitFor(async () => ((await trxRow(t.dataSource, id)).status === 'proses' ? true : undefined), 5_000, 'the claim');
        await t.dataSource.query("UPDATE transaksi SET locked_by = 'thief' WHERE id = ? AND status = 'proses'", [id]);
        expect(await trxRow(t.dataSource, id)).toMatchObject({ status: 'proses', locked_by: 'thief' });

        // The provider finishes (it records its execution) and the first instance tries to finalize.
        await waitFor(async () => ((await executions(t.dataSource, id)).length > 0 ? true : undefined), 5_000, 'the provider call');
        await new Promise((resolve) => setTimeout(resolve, 1_000));

        expect(await trxRow(t.dataSource, id)).toMatchObject({ status: 'proses', locked_by: 'thief', attempts: 1 });
        expect(await mutasiOf(t.dataSource, id)).toEqual([{ jenis: 'debit', jumlah: -51_000 }]);
        expect(await saldoOf(t.app, user.apiKey)).toBe(49_000);
      });

      it('finishes the stolen row exactly once after the thief dies and its lease expires', async () => {
        const [row] = await t.dataSource.query("SELECT id FROM transaksi WHERE locked_by = 'thief'");
        const id = Number(row.id);
        await t.dataSource.query('UPDATE transaksi SET locked_until = ? WHERE id = ?', [LONG_AGO, id]);

        const done = await waitForFinal(t.dataSource, id);
        expect(done).toMatchObject({ status: 'gagal', attempts: 2, locked_by: null });
        // The provider is idempotent by transaksi id: the retry did not execute it again.
        expect(await executions(t.dataSource, id)).toHaveLength(1);
        expect(await mutasiOf(t.dataSource, id)).toEqual([
          { jenis: 'debit', jumlah: -51_000 },
          { jenis: 'refund', jumlah: 51_000 },
        ]);
        await waitForIdle(t.dataSource);
        await expectLedgerInvariants(t.dataSource);
      });
    });

    describe('when an instance died holding claimed rows', () => {
      let t: TestApp;
      let second: AppInstance | undefined;
      beforeAll(async () => {
        // The first instance accepts purchases but never processes them.
        t = await startTestApp(engine, { PROCESSOR_ENABLED: 'false' });
      });
      afterAll(async () => {
        await second?.close();
        await t?.close();
      });

      it('takes over expired leases, finishes them once, and leaves live leases alone', async () => {
        const user = await registerUser(t.app, { saldo: 100_000 });
        const dead = [await buy(t, user, { produk_id: 1, nomor_tujuan: SUKSES }), await buy(t, user, { produk_id: 1, nomor_tujuan: GAGAL })];
        const alive = await buy(t, user, { produk_id: 1, nomor_tujuan: SUKSES });
        const pending = await buy(t, user, { produk_id: 1, nomor_tujuan: SUKSES });
        expect((await trxRow(t.dataSource, pending)).status).toBe('pending');

        // As if a crashed instance had claimed them (attempt 1) and its lease ran out.
        await t.dataSource.query(
          `UPDATE transaksi SET status = 'proses', locked_by = 'dead-instance', locked_until = ?, attempts = 1 WHERE id IN (?, ?)`,
          [LONG_AGO, ...dead],
        );
        // And one still held by a live instance.
        await t.dataSource.query("UPDATE transaksi SET status = 'proses', locked_by = 'alive-instance', locked_until = ?, attempts = 1 WHERE id = ?", [
          FAR_FUTURE,
          alive,
        ]);

        second = await startInstanceOn(t.db, { PROCESSOR_INSTANCE_ID: 'instance-b' });

        const [sukses, gagal] = [await waitForFinal(t.dataSource, dead[0]), await waitForFinal(t.dataSource, dead[1])];
        expect(sukses).toMatchObject({ status: 'sukses', attempts: 2, locked_by: null });
        expect(gagal).toMatchObject({ status: 'gagal', attempts: 2, locked_by: null });
        for (const id of dead) expect(await executions(t.dataSource, id)).toEqual([{ instance_id: 'instance-b', status: expect.any(String) }]);
        expect(await mutasiOf(t.dataSource, dead[1])).toEqual([
          { jenis: 'debit', jumlah: -12_000 },
          { jenis: 'refund', jumlah: 12_000 },
        ]);

        expect(await waitForFinal(t.dataSource, pending)).toMatchObject({ status: 'sukses', attempts: 1 });
        expect(await executions(t.dataSource, pending)).toHaveLength(1);

        // The live lease was not stolen.
        expect(await trxRow(t.dataSource, alive)).toMatchObject({ status: 'proses', locked_by: 'alive-instance', attempts: 1 });
        expect(await executions(t.dataSource, alive)).toEqual([]);

        // 100k - 4 x 12k + the refund of the gagal one; the live one stays charged.
        expect(await saldoOf(t.app, user.apiKey)).toBe(100_000 - 3 * 12_000);
        await expectLedgerInvariants(t.dataSource);
      });

      it('replays, without executing again, a purchase the upstream delivered before its instance died', async () => {
        // The processing instance of the test before would claim the new purchase before the SQL
        // below makes it a dead instance's row (seen on a loaded machine: executed, sukses): it
        // comes back once the row is set up.
        await second?.close();
        second = undefined;
        const user = await registerUser(t.app, { saldo: 100_000 });
        const id = await buy(t, user, { produk_id: 1, nomor_tujuan: SUKSES });
        // The dead instance's call reached the upstream (which recorded gagal), then it died
        // before writing the result; its lease ran out.
        await t.dataSource.query("UPDATE transaksi SET status = 'proses', locked_by = 'dead-instance', locked_until = ?, attempts = 1 WHERE id = ?", [
          LONG_AGO,
          id,
        ]);
        await t.dataSource.query(
          "INSERT INTO ppob_sim_eksekusi (transaksi_id, instance_id, status, hasil, waktu) VALUES (?, 'dead-instance', 'gagal', 'Gagal: recorded upstream', ?)",
          [id, LONG_AGO],
        );
        second = await startInstanceOn(t.db, { PROCESSOR_INSTANCE_ID: 'instance-b' });

        const row = await waitForFinal(t.dataSource, id);
        // The upstream's recorded outcome counts; customers see the fixed gagal text, not the upstream's words.
        expect(row).toMatchObject({ status: 'gagal', attempts: 2, hasil_eksekusi: 'Gagal: transaksi ditolak oleh provider; saldo dikembalikan' });
        expect(await executions(t.dataSource, id)).toEqual([{ instance_id: 'dead-instance', status: 'gagal' }]);
        expect(await mutasiOf(t.dataSource, id)).toEqual([
          { jenis: 'debit', jumlah: -12_000 },
          { jenis: 'refund', jumlah: 12_000 },
        ]);
      });
    });

    describe('under load (200 purchases, PROCESSOR_CONCURRENCY=50, PPOB_SIM_DELAY_MS=100)', () => {
      const t = useTestApp(engine, { PROCESSOR_CONCURRENCY: '50', PPOB_SIM_DELAY_MS: '100' });

      it('finishes every purchase exactly once with the right outcome and keeps the ledgers whole', async () => {
        const users = await Promise.all(Array.from({ length: 4 }, () => registerUser(t.app, { saldo: 600_000 })));
        const nomor = (i: number) => (i % 10 === 3 ? GAGAL : i % 2 ? SUKSES : `0812${String(i).padStart(8, '0')}`);
        const results = await Promise.all(
          Array.from({ length: 200 }, (_, i) => beli(t.app, users[i % 4].apiKey, { produk_id: 1, nomor_tujuan: nomor(i), ref_id: `load-${i}` })),
        );
        const codes = results.map((r) => r.statusCode);
        expect(codes.filter((c) => c !== 200)).toEqual([]);
        const ids = results.map((r) => r.json().id as number);
        expect(new Set(ids).size).toBe(200);

        // A generous bound: sequential execution alone would need 20 s.
        await waitForIdle(t.dataSource, 15_000);

        const rows: Array<{ id: string | number; nomor_tujuan: string; status: string }> = await t.dataSource.query(
          'SELECT id, nomor_tujuan, status FROM transaksi',
        );
        expect(rows).toHaveLength(200);
        for (const row of rows) {
          expect({ id: Number(row.id), status: row.status }).toEqual({ id: Number(row.id), status: row.nomor_tujuan === GAGAL ? 'gagal' : 'sukses' });
        }
        const [execCount] = await t.dataSource.query('SELECT COUNT(DISTINCT transaksi_id) AS n, COUNT(*) AS total FROM ppob_sim_eksekusi');
        expect({ distinct: Number(execCount.n), total: Number(execCount.total) }).toEqual({ distinct: 200, total: 200 });

        // Each user made 50 purchases; the gagal ones were refunded.
        for (const [u, user] of users.entries()) {
          const charged = Array.from({ length: 200 }, (_, i) => i).filter((i) => i % 4 === u && nomor(i) !== GAGAL).length;
          expect(await saldoOf(t.app, user.apiKey)).toBe(600_000 - charged * 12_000);
        }
        await expectLedgerInvariants(t.dataSource);
      }, 30_000);
    });
  });
});
