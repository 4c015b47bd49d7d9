import type { DataSource } from 'typeorm';
import { beli, get, registerUser, saldoOf, TestUser } from './support/factories';
import { expectConsistentLedgers } from './support/invariants';
import { metricValue, scrape } from './support/metrics';
import { describeEachEngine, useTestApp } from './support/test-app';
import { describeFor } from './support/test-db';

/**
 * The /beli group commit (issue 13): purchases of one reseller that arrive together are written
 * in one transaction (one debit, multi-row inserts), and each is still accepted or refused on its
 * own, in order. The window is long enough here that concurrent requests on a loaded machine land
 * in one batch; the processor is off so nothing else writes.
 */
const WINDOW_MS = 30;
const HARGA: Record<number, number> = { 1: 12_000, 2: 22_000, 3: 51_000 };

interface DebitRow {
  id: number;
  transaksiId: number;
  jumlah: number;
  saldoAkhir: number;
}

async function debitsOf(dataSource: DataSource, email: string): Promise<DebitRow[]> {
  const rows: Array<Record<string, string | number>> = await dataSource.query(
    `SELECT m.id, m.transaksi_id, m.jumlah, m.saldo_akhir FROM mutasi m JOIN users u ON u.id = m.user_id
     WHERE u.email = ? AND m.jenis = 'debit' ORDER BY m.id`,
    [email],
  );
  return rows.map((r) => ({ id: Number(r.id), transaksiId: Number(r.transaksi_id), jumlah: Number(r.jumlah), saldoAkhir: Number(r.saldo_akhir) }));
}

async function startingSaldo(dataSource: DataSource, email: string): Promise<number> {
  const [row] = await dataSource.query("SELECT m.saldo_akhir FROM mutasi m JOIN users u ON u.id = m.user_id WHERE u.email = ? AND m.jenis = 'saldo_awal'", [email]);
  return Number(row.saldo_akhir);
}

/** The saldo_akhir of consecutive debits steps down by exactly each purchase's harga, in id order. */
function expectStrictOrder(start: number, debits: DebitRow[]): void {
  let saldo = start;
  for (const d of debits) {
    saldo += d.jumlah;
    expect(d.saldoAkhir).toBe(saldo);
  }
  const transaksiIds = debits.map((d) => d.transaksiId);
  expect(transaksiIds).toEqual([...transaksiIds].sort((a, b) => a - b));
}

describeEachEngine(
  'POST /beli group commit',
  (t) => {
    let user: TestUser;

    it('debits purchases of one reseller that arrive together in fewer balance updates than purchases', async () => {
      user = await registerUser(t.app, { saldo: 1_000_000 });
      const before = await scrape(t.app);
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => beli(t.app, user.apiKey, { produk_id: 1, ref_id: `gc-${i}` })));
      expect(results.map((r) => r.statusCode)).toEqual(Array(20).fill(200));
      const after = await scrape(t.app);
      const batches = (metricValue(after, 'ppob_beli_batches_total') ?? NaN) - (metricValue(before, 'ppob_beli_batches_total') ?? 0);
      const purchases = (metricValue(after, 'ppob_beli_batch_purchases_total') ?? NaN) - (metricValue(before, 'ppob_beli_batch_purchases_total') ?? 0);
      expect(purchases).toBe(20);
      expect(batches).toBeLessThan(20);
      // Each answer names its own purchase and the saldo right after it.
      const answers = results.map((r) => r.json()).sort((a, b) => a.id - b.id);
      expect(new Set(answers.map((a) => a.id)).size).toBe(20);
      expect(answers.map((a) => a.saldo)).toEqual(Array.from({ length: 20 }, (_, i) => 1_000_000 - 12_000 * (i + 1)));
      expectStrictOrder(1_000_000, await debitsOf(t.dataSource, user.email));
      await expectConsistentLedgers(t.dataSource);
    });

    it("keeps each purchase's harga_modal (its max_price at the supplier) in the multi-row insert", async () => {
      const buyer = await registerUser(t.app, { saldo: 1_000_000 });
      await t.dataSource.query('UPDATE produk SET harga_modal = 20150 WHERE id = 2');
      try {
        const before = await scrape(t.app);
        const results = await Promise.all(Array.from({ length: 10 }, () => beli(t.app, buyer.apiKey, { produk_id: 2 })));
        expect(results.map((r) => r.statusCode)).toEqual(Array(10).fill(200));
        const batches = (metricValue(await scrape(t.app), 'ppob_beli_batches_total') ?? NaN) - (metricValue(before, 'ppob_beli_batches_total') ?? 0);
        expect(batches).toBeLessThan(10);
        const rows: Array<{ harga_modal: number | string | null }> = await t.dataSource.query(
          'SELECT t.harga_modal FROM transaksi t JOIN users u ON u.id = t.user_id WHERE u.email = ?',
          [buyer.email],
        );
        expect(rows.map((r) => (r.harga_modal === null ? null : Number(r.harga_modal)))).toEqual(Array(10).fill(20150));
      } finally {
        await t.dataSource.query('UPDATE produk SET harga_modal = NULL WHERE id = 2');
      }
    });

    it('accepts exactly as many as the saldo covers when they arrive together', async () => {
      const small = await registerUser(t.app, { saldo: 60_000 });
      const results = await Promise.all(Array.from({ length: 20 }, () => beli(t.app, small.apiKey, { produk_id: 1 })));
      expect(results.filter((r) => r.statusCode === 200)).toHaveLength(5);
      const refused = results.filter((r) => r.statusCode !== 200);
      expect(refused).toHaveLength(15);
      for (const r of refused) expect(r.json()).toMatchObject({ statusCode: 402, code: 'INSUFFICIENT_SALDO', detail: expect.any(String) });
      expect(await saldoOf(t.app, small.apiKey)).toBe(0);
      expectStrictOrder(60_000, await debitsOf(t.dataSource, small.email));
      await expectConsistentLedgers(t.dataSource);
    });

    it('refuses each purchase on the saldo it would have had in order, with mixed prices', async () => {
      const mixed = await registerUser(t.app, { saldo: 100_000 });
      const produkIds = [3, 2, 3, 1, 2, 3, 1, 1, 2, 3, 1, 2];
      const results = await Promise.all(produkIds.map((produk_id) => beli(t.app, mixed.apiKey, { produk_id })));
      const accepted = results.filter((r) => r.statusCode === 200);
      const refused = results.map((r, i) => ({ r, harga: HARGA[produkIds[i]] })).filter(({ r }) => r.statusCode !== 200);
      for (const { r } of refused) expect(r.statusCode).toBe(402);
      const spent = accepted.reduce((sum, r) => sum + r.json().harga, 0);
      const saldo = await saldoOf(t.app, mixed.apiKey);
      expect(saldo).toBe(100_000 - spent);
      // A refusal means the saldo at its turn was below its harga; saldo only falls, so the end
      // saldo is below the cheapest refused harga too.
      if (refused.length > 0) expect(saldo).toBeLessThan(Math.min(...refused.map((x) => x.harga)));
      expectStrictOrder(100_000, await debitsOf(t.dataSource, mixed.email));
      await expectConsistentLedgers(t.dataSource);
    });

    it('takes a ref_id repeated inside one batch as one purchase', async () => {
      const repeat = await registerUser(t.app, { saldo: 100_000 });
      const results = await Promise.all(Array.from({ length: 8 }, () => beli(t.app, repeat.apiKey, { produk_id: 1, ref_id: 'same-ref' })));
      expect(results.map((r) => r.statusCode)).toEqual(Array(8).fill(200));
      expect(new Set(results.map((r) => r.json().id)).size).toBe(1);
      expect(await saldoOf(t.app, repeat.apiKey)).toBe(88_000);
      expect((await get(t.app, repeat.apiKey, '/riwayat')).json()).toHaveLength(1);
      await expectConsistentLedgers(t.dataSource);
    });

    it('answers a repeated ref_id with another body 409 inside one batch, and charges once', async () => {
      const conflict = await registerUser(t.app, { saldo: 100_000 });
      const results = await Promise.all([
        beli(t.app, conflict.apiKey, { produk_id: 1, ref_id: 'dup-body' }),
        beli(t.app, conflict.apiKey, { produk_id: 2, ref_id: 'dup-body' }),
        beli(t.app, conflict.apiKey, { produk_id: 1, ref_id: 'other' }),
      ]);
      const codes = results.map((r) => r.statusCode);
      expect(codes[2]).toBe(200);
      expect([...codes.slice(0, 2)].sort()).toEqual([200, 409]);
      const charged = results.filter((r) => r.statusCode === 200).reduce((sum, r) => sum + r.json().harga, 0);
      expect(await saldoOf(t.app, conflict.apiKey)).toBe(100_000 - charged);
      expect((await get(t.app, conflict.apiKey, '/riwayat')).json()).toHaveLength(2);
      await expectConsistentLedgers(t.dataSource);
    });

    it('answers a ref_id already committed earlier from the original, inside a batch of new purchases', async () => {
      const again = await registerUser(t.app, { saldo: 100_000 });
      const first = await beli(t.app, again.apiKey, { produk_id: 1, ref_id: 'early' });
      expect(first.statusCode).toBe(200);
      const results = await Promise.all([
        beli(t.app, again.apiKey, { produk_id: 1, ref_id: 'late-1' }),
        beli(t.app, again.apiKey, { produk_id: 1, ref_id: 'early' }),
        beli(t.app, again.apiKey, { produk_id: 1, ref_id: 'late-2' }),
      ]);
      expect(results.map((r) => r.statusCode)).toEqual([200, 200, 200]);
      expect(results[1].json().id).toBe(first.json().id);
      expect(await saldoOf(t.app, again.apiKey)).toBe(100_000 - 3 * 12_000);
      await expectConsistentLedgers(t.dataSource);
    });

    it('keeps saldo_akhir in strict order across many batches of one reseller', async () => {
      const busy = await registerUser(t.app, { saldo: 10_000_000 });
      const waves = await Promise.all(
        Array.from({ length: 4 }, async (_, wave) => {
          await new Promise((resolve) => setTimeout(resolve, wave * 10));
          return Promise.all(Array.from({ length: 15 }, (_, i) => beli(t.app, busy.apiKey, { produk_id: 1 + ((wave + i) % 3) })));
        }),
      );
      expect(waves.flat().every((r) => r.statusCode === 200)).toBe(true);
      const debits = await debitsOf(t.dataSource, busy.email);
      expect(debits).toHaveLength(60);
      expectStrictOrder(await startingSaldo(t.dataSource, busy.email), debits);
      await expectConsistentLedgers(t.dataSource);
    });
  },
  { PROCESSOR_ENABLED: 'false', BELI_GROUP_COMMIT_WINDOW_MS: String(WINDOW_MS) },
);

// MySQL/MariaDB only: on SQLite every read waits while a transaction is open (the read gate of
// TransactionRunner), so requests reach /beli's queue only between batches, and batches form
// only with a window (the specs above).
describe.each(['mysql'] as const)('POST /beli group commit with no window on %s', (engine) => {
  describeFor(engine)(engine, () => {
    const t = useTestApp(engine, { PROCESSOR_ENABLED: 'false', BELI_GROUP_COMMIT_WINDOW_MS: '0' });

    it('starts a lone purchase at once and puts the purchases that arrive meanwhile in shared batches', async () => {
      const user = await registerUser(t.app, { saldo: 1_000_000 });
      const alone = await beli(t.app, user.apiKey, { produk_id: 1, ref_id: 'alone' });
      expect(alone.json()).toMatchObject({ status: 'pending', saldo: 988_000 });
      const before = await scrape(t.app);
      const results = await Promise.all(Array.from({ length: 30 }, (_, i) => beli(t.app, user.apiKey, { produk_id: 1, ref_id: `nowin-${i}` })));
      expect(results.map((r) => r.statusCode)).toEqual(Array(30).fill(200));
      const after = await scrape(t.app);
      const batches = (metricValue(after, 'ppob_beli_batches_total') ?? NaN) - (metricValue(before, 'ppob_beli_batches_total') ?? 0);
      expect(batches).toBeLessThan(30);
      expect(await saldoOf(t.app, user.apiKey)).toBe(988_000 - 30 * 12_000);
      expectStrictOrder(1_000_000, await debitsOf(t.dataSource, user.email));
      await expectConsistentLedgers(t.dataSource);
    });
  });
});
