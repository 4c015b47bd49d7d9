import { SANDBOX } from '../src/fake-upstream/fake-digiflazz';
import { admin } from './support/admin';
import { beli, waitFor, waitForIdle } from './support/factories';
import { fundedReseller, syncProduk, useSupplierStack } from './support/fake-supplier';
import { checkLedger, wrongDebitsAndRefunds } from './support/invariants';
import { describeFor, ENGINES } from './support/test-db';

const START = 500_000;
const ROWS = 8;

/** The supplier's money paths under an operator: settlement racing its callbacks, and a product's kode changed mid-purchase. */
describe.each(ENGINES)('operator settlement and supplier codes with the Digiflazz supplier on %s', (engine) => {
  describeFor(engine)(engine, () => {
    const stack = useSupplierStack(engine);

    it('settles each purchase waiting for an operator once, refunding exactly when it ends gagal', async () => {
      const { t, fake } = stack;
      fake.faults.dropCallbacks = true;
      const user = await fundedReseller(t.app, START);
      const ids: number[] = [];
      for (let i = 0; i < ROWS; i++) ids.push((await beli(t.app, user.apiKey, { produk_id: stack.produkId, nomor_tujuan: SANDBOX.PENDING_GAGAL })).json().id);
      for (let i = 0; i < 400 && !ids.every((id) => fake.transactions.has(String(id))); i++) await new Promise((r) => setTimeout(r, 25));
      fake.options.pendingMs = 60_000;
      await t.dataSource.query(`UPDATE transaksi SET perlu_operator = 1, locked_by = NULL, locked_until = NULL WHERE id IN (${ids.join(', ')}) AND status = 'proses'`);
      for (const id of ids) fake.settle(String(id), 'Gagal', false);
      fake.faults.dropCallbacks = false;
      const work: Array<Promise<number>> = [];
      ids.forEach((id, i) => {
        const body = i % 2 ? { status: 'gagal' } : { status: 'sukses', sn: `OP-${id}` };
        for (let k = 0; k < 3; k++) {
          work.push(admin(t.app, 'POST', `/admin/transaksi/${id}/selesaikan`, body).then((r) => r.statusCode));
          work.push(fake.postCallback({ data: fakeView(fake.transactions.get(String(id))!) }));
        }
      });
      const codes = await Promise.all(work);
      expect(codes.filter((c) => ![200, 409].includes(c))).toEqual([]);
      await waitForIdle(t.dataSource, 30_000);
      expect(await wrongDebitsAndRefunds(t.dataSource)).toEqual([]);
      const [check] = (await checkLedger(t.dataSource)).filter((c) => c.userId === user.id);
      expect(check.saldo).toBe(check.ledgerSum);
      expect(check.saldo).toBe(check.lastSaldoAkhir);
      const [charged] = await t.dataSource.query("SELECT COALESCE(SUM(harga), 0) AS s FROM transaksi WHERE user_id = ? AND status <> 'gagal'", [user.id]);
      expect(check.saldo).toBe(START - Number(charged.s));
    }, 60_000);

    it("sends every call of a purchase with the supplier code it was sold under, also when the operator changed the product's kode before the call went through", async () => {
      const { t, fake } = stack;
      const base = fake.products.find((p) => p.buyer_sku_code === 'PULSA10')!;
      fake.products.push({ ...base, buyer_sku_code: 'ORIG5', product_name: 'Pulsa 5.000', price: 5_000 }, { ...base, buyer_sku_code: 'ALT4', product_name: 'Pulsa 4.000', price: 4_000 });
      const created = await admin(t.app, 'POST', '/admin/produk', { nama: 'Pulsa 5k', kode: 'ORIG5', kategori: 'pulsa', harga: 6_000, nominal: 5_000 });
      expect(created.statusCode).toBe(200);
      const produkId: number = created.json().id;
      expect((await syncProduk(t.app)).statusCode).toBe(200);
      const user = await fundedReseller(t.app, START);
      // The supplier is busy (rc 85, nothing created) while the operator renames the product's code.
      fake.faults.tryLaterCalls = 1_000;
      const before = fake.tryLaterAnswered;
      try {
        const res = await beli(t.app, user.apiKey, { produk_id: produkId, nomor_tujuan: SANDBOX.SUKSES });
        expect(res.statusCode).toBe(200);
        const id: number = res.json().id;
        await waitFor(async () => (fake.tryLaterAnswered > before ? true : undefined), 10_000, 'the first call answered rc 85');
        expect((await admin(t.app, 'PATCH', `/admin/produk/${produkId}`, { kode: 'ALT4' })).statusCode).toBe(200);
        fake.faults.tryLaterCalls = 0;
        await waitForIdle(t.dataSource, 60_000);
        // Sold (and charged) as ORIG5: the supplier must not have been asked for another product.
        expect({ id, sku: fake.transactions.get(String(id))?.buyer_sku_code ?? null }).toEqual({ id, sku: 'ORIG5' });
        // The group commit's multi-row insert keeps it too.
        const batch = await Promise.all(Array.from({ length: 6 }, () => beli(t.app, user.apiKey, { produk_id: produkId, nomor_tujuan: SANDBOX.SUKSES })));
        const ids = batch.map((r) => r.json().id as number);
        const kept: Array<{ kode: string | null }> = await t.dataSource.query(`SELECT kode FROM transaksi WHERE id IN (${ids.join(', ')})`);
        expect(kept.map((r) => r.kode)).toEqual(Array(6).fill('ALT4'));
        await waitForIdle(t.dataSource, 60_000);
      } finally {
        fake.faults.tryLaterCalls = 0;
      }
    }, 90_000);
  });
});

function fakeView(trx: { ref_id: string; customer_no: string; buyer_sku_code: string; message: string; status: string; rc: string; sn: string; price: number }) {
  const { ref_id, customer_no, buyer_sku_code, message, status, rc, sn, price } = trx;
  return { ref_id, customer_no, buyer_sku_code, message, status, rc, sn, buyer_last_saldo: 0, price };
}
