import { createHmac } from 'node:crypto';
import { SANDBOX } from '../src/fake-upstream/fake-digiflazz';
import { admin, reseller } from './support/admin';
import { beli, get, registerUser, waitForIdle } from './support/factories';
import { useTestApp } from './support/test-app';
import { jakartaClock } from '../src/supplier/price-list';
import { tryLease } from '../src/supplier/supplier-lease';
import { FAKE_SECRET, fundedReseller, startSupplierStack, SupplierStack, syncProduk, useSupplierStack, XLD10_HARGA, XLD10_MODAL } from './support/fake-supplier';
import { describeFor, ENGINES } from './support/test-db';

const START = 200_000;

/** A supplier transaction as its callback carries it. */
function pick(trx: { ref_id: string; customer_no: string; buyer_sku_code: string; message: string; status: string; rc: string; sn: string; price: number }) {
  const { ref_id, customer_no, buyer_sku_code, message, status, rc, sn, price } = trx;
  return { ref_id, customer_no, buyer_sku_code, message, status, rc, sn, buyer_last_saldo: 0, price };
}

/**
 * The money rules against the supplier's own record: every purchase is exactly one supplier
 * transaction (ref_id = transaksi id), our final status is the supplier's, a purchase is
 * refunded exactly when the supplier says Gagal, and every saldo is the start minus its sukses
 * purchases.
 */
async function expectMatchesSupplier(stack: SupplierStack, userId: number, start: number): Promise<void> {
  const { t, fake } = stack;
  await waitForIdle(t.dataSource, 30_000);
  const rows: Array<{ id: number | string; status: string; harga: number | string; sn: string | null }> = await t.dataSource.query(
    'SELECT id, status, harga, sn FROM transaksi WHERE user_id = ? ORDER BY id',
    [userId],
  );
  let sukses = 0;
  for (const row of rows) {
    const supplier = fake.transactions.get(String(row.id));
    expect({ id: Number(row.id), calls: supplier ? 'one' : 'none' }).toEqual({ id: Number(row.id), calls: 'one' });
    expect({ id: Number(row.id), status: row.status }).toEqual({ id: Number(row.id), status: supplier!.status.toLowerCase() });
    const [refunds] = await t.dataSource.query("SELECT COUNT(*) AS n FROM mutasi WHERE transaksi_id = ? AND jenis = 'refund'", [row.id]);
    expect({ id: Number(row.id), refunds: Number(refunds.n) }).toEqual({ id: Number(row.id), refunds: row.status === 'gagal' ? 1 : 0 });
    if (row.status === 'sukses') {
      sukses += Number(row.harga);
      expect(row.sn).toBe(supplier!.sn);
    }
  }
  // No supplier transaction that is not one of our purchases.
  const all: Array<{ id: number | string }> = await t.dataSource.query('SELECT id FROM transaksi');
  const ours = new Set(all.map((r) => String(r.id)));
  expect([...fake.transactions.keys()].filter((k) => !ours.has(k))).toEqual([]);
  const [user] = await t.dataSource.query('SELECT saldo FROM users WHERE id = ?', [userId]);
  expect(Number(user.saldo)).toBe(start - sukses);
}

describe.each(ENGINES)('Digiflazz supplier (fake) on %s', (engine) => {
  describeFor(engine)(engine, () => {
    const stack = useSupplierStack(engine);

    it('prices the sandbox product from the price list: harga_modal, harga = modal + markup, listed with its kode', async () => {
      const list = (await admin(stack.t.app, 'GET', '/admin/produk')).json() as Array<{ kode: string; harga: number; harga_modal: number; brand: string }>;
      expect(list.find((p) => p.kode === 'xld10')).toMatchObject({ harga: XLD10_HARGA, harga_modal: XLD10_MODAL, brand: 'XL' });
      const user = await fundedReseller(stack.t.app, 1_000);
      const produk = (await get(stack.t.app, user.apiKey, '/produk?brand=xl')).json();
      expect(produk).toEqual([expect.objectContaining({ kode: 'xld10', harga: XLD10_HARGA, brand: 'XL', kategori: 'pulsa' })]);
    });

    it('does not sell a product no sync has priced: nothing would bound what the supplier charges', async () => {
      const created = await admin(stack.t.app, 'POST', '/admin/produk', { nama: 'Belum disinkron', kode: 'BARU-1', kategori: 'pulsa', harga: 5_000, nominal: 5_000 });
      expect(created.json()).toMatchObject({ harga_modal: null });
      const user = await fundedReseller(stack.t.app, 10_000);
      expect((await get(stack.t.app, user.apiKey, '/produk')).json().map((p: { kode: string }) => p.kode)).not.toContain('BARU-1');
      const res = await beli(stack.t.app, user.apiKey, { produk_id: created.json().id, nomor_tujuan: SANDBOX.SUKSES });
      expect(res.statusCode).toBe(422);
      expect(res.json().code).toBe('PRODUK_NOT_FOUND');
      await stack.t.dataSource.query("UPDATE produk SET aktif = 0 WHERE kode = 'BARU-1'");
    });

    it('takes every sandbox number end to end: sukses, gagal, pending then sukses, pending then gagal', async () => {
      const user = await fundedReseller(stack.t.app, START);
      const numbers = [SANDBOX.SUKSES, SANDBOX.GAGAL, SANDBOX.PENDING_SUKSES, SANDBOX.PENDING_GAGAL];
      const ids: number[] = [];
      for (const nomor of numbers) {
        const res = await beli(stack.t.app, user.apiKey, { produk_id: stack.produkId, nomor_tujuan: nomor });
        expect(res.statusCode).toBe(200);
        ids.push(res.json().id);
      }
      await waitForIdle(stack.t.dataSource, 30_000);
      const statuses = [];
      for (const id of ids) statuses.push((await get(stack.t.app, user.apiKey, `/status/${id}`)).json());
      expect(statuses.map((s) => s.status)).toEqual(['sukses', 'gagal', 'sukses', 'gagal']);
      expect(statuses[0].sn).toMatch(/^SN\d+/);
      expect(statuses[1].sn).toBeNull();
      // max_price is the product's supplier price, on every purchase.
      for (const id of ids) expect(stack.fake.transactions.get(String(id))!.max_price).toBe(XLD10_MODAL);
      const [row] = await stack.t.dataSource.query('SELECT upstream_rc, upstream_pesan FROM transaksi WHERE id = ?', [ids[1]]);
      expect(row).toEqual({ upstream_rc: '02', upstream_pesan: 'Transaksi Gagal' });
      await expectMatchesSupplier(stack, user.id, START);
    });

    const FAULTS: Array<[string, Partial<SupplierStack['fake']['faults']>]> = [
      ['answers slower than the adapter waits', { slowMs: 2_500, slowCalls: 3 }],
      ['answers 502 after recording the transaction', { fail5xx: 3 }],
      ['resets the connection after recording the transaction', { resetAfterRecord: 3 }],
      ['drops every callback', { dropCallbacks: true }],
      ['sends every callback twice', { duplicateCallbacks: true }],
      ['sends a stale Pending callback after the final one', { outOfOrderCallbacks: true }],
    ];
    it.each(FAULTS)('when the supplier %s: one supplier transaction per purchase, no refund of a Sukses', async (_what, faults) => {
      const user = await fundedReseller(stack.t.app, START);
      stack.fake.faults = { ...stack.fake.faults, ...faults };
      const numbers = [SANDBOX.SUKSES, SANDBOX.PENDING_SUKSES, SANDBOX.PENDING_GAGAL, SANDBOX.GAGAL, SANDBOX.SUKSES];
      await Promise.all(numbers.map((nomor) => beli(stack.t.app, user.apiKey, { produk_id: stack.produkId, nomor_tujuan: nomor })));
      await expectMatchesSupplier(stack, user.id, START);
    });

    it('refunds a purchase the supplier refuses with rc 44 (its deposit too low)', async () => {
      const user = await fundedReseller(stack.t.app, START);
      const deposit = stack.fake.deposit;
      stack.fake.deposit = 0;
      try {
        const res = await beli(stack.t.app, user.apiKey, { produk_id: stack.produkId, nomor_tujuan: SANDBOX.SUKSES });
        await waitForIdle(stack.t.dataSource, 30_000);
        expect((await get(stack.t.app, user.apiKey, `/status/${res.json().id}`)).json()).toMatchObject({ status: 'gagal', sn: null });
        const [row] = await stack.t.dataSource.query('SELECT upstream_rc FROM transaksi WHERE id = ?', [res.json().id]);
        expect(row.upstream_rc).toBe('44');
        expect(stack.fake.transactions.has(String(res.json().id))).toBe(false);
        const [u] = await stack.t.dataSource.query('SELECT saldo FROM users WHERE id = ?', [user.id]);
        expect(Number(u.saldo)).toBe(START);
      } finally {
        stack.fake.deposit = deposit;
      }
    });

    describe('POST /webhook/digiflazz', () => {
      const post = (body: unknown, headers: Record<string, string> = {}, secret: string | null = FAKE_SECRET) => {
        const raw = JSON.stringify(body);
        const signature = secret === null ? {} : { 'x-hub-signature': `sha1=${createHmac('sha1', secret).update(raw).digest('hex')}` };
        return stack.t.app.inject({ method: 'POST', url: '/webhook/digiflazz', headers: { 'content-type': 'application/json', 'x-digiflazz-event': 'update', ...signature, ...headers }, payload: raw });
      };

      it('refuses a missing or wrong signature with 401 and changes nothing', async () => {
        const body = { data: { ref_id: '1', status: 'Gagal', rc: '02', message: 'x' } };
        for (const res of [await post(body, {}, null), await post(body, {}, 'not-the-secret')]) {
          expect(res.statusCode).toBe(401);
          expect(res.json()).toMatchObject({ code: 'WEBHOOK_SIGNATURE_INVALID', detail: expect.any(String) });
        }
      });

      it('accepts a ping and an unknown ref_id with 200, changing nothing', async () => {
        expect((await post({ zen: 'hello', hook_id: 1 }, { 'x-digiflazz-event': 'ping' })).json()).toEqual({ diterima: true, diubah: false });
        expect((await post({ data: { ref_id: '999999', status: 'Sukses', rc: '00', sn: 'X' } })).json()).toEqual({ diterima: true, diubah: false });
        expect((await post({ data: { ref_id: 'not-ours', status: 'Sukses', rc: '00' } })).json()).toEqual({ diterima: true, diubah: false });
        expect((await post({ nodata: true })).statusCode).toBe(400);
      });

      it('settles a pending purchase once, refunds a Gagal once, and ignores repeats and a late Pending', async () => {
        const user = await fundedReseller(stack.t.app, START);
        stack.fake.faults.dropCallbacks = true;
        const ok = (await beli(stack.t.app, user.apiKey, { produk_id: stack.produkId, nomor_tujuan: SANDBOX.PENDING_SUKSES })).json().id;
        const bad = (await beli(stack.t.app, user.apiKey, { produk_id: stack.produkId, nomor_tujuan: SANDBOX.PENDING_GAGAL })).json().id;
        // Wait until the supplier has both (the processor sent them) and settle them there.
        for (let i = 0; i < 200 && !(stack.fake.transactions.has(String(ok)) && stack.fake.transactions.has(String(bad))); i++) await new Promise((r) => setTimeout(r, 25));
        stack.fake.settle(String(ok), 'Sukses', false);
        stack.fake.settle(String(bad), 'Gagal', false);
        const view = (id: number) => {
          const trx = stack.fake.transactions.get(String(id))!;
          return { data: { ref_id: trx.ref_id, customer_no: trx.customer_no, buyer_sku_code: trx.buyer_sku_code, message: trx.message, status: trx.status, rc: trx.rc, sn: trx.sn, buyer_last_saldo: 0, price: trx.price } };
        };
        const answers = await Promise.all([post(view(ok)), post(view(ok)), post(view(bad)), post(view(bad))]);
        expect(answers.map((a) => a.statusCode)).toEqual([200, 200, 200, 200]);
        const late = await post({ data: { ...view(ok).data, status: 'Pending', rc: '03', sn: '' } });
        expect(late.json()).toEqual({ diterima: true, diubah: false });
        await expectMatchesSupplier(stack, user.id, START);
        expect((await get(stack.t.app, user.apiKey, `/status/${ok}`)).json()).toMatchObject({ status: 'sukses', sn: stack.fake.transactions.get(String(ok))!.sn });
      });

      it("writes the reseller's callback event, with the supplier's sn, in the transaction the supplier's callback settles", async () => {
        const user = await fundedReseller(stack.t.app, START);
        // Nothing listens there: the event row is what this test reads, not its delivery.
        const endpoint = await stack.t.app.inject({ method: 'PUT', url: '/callback', headers: { 'x-api-key': user.apiKey }, payload: { url: 'http://127.0.0.1:9/hook' } });
        expect(endpoint.statusCode).toBe(200);
        stack.fake.faults.dropCallbacks = true;
        const ok = (await beli(stack.t.app, user.apiKey, { produk_id: stack.produkId, nomor_tujuan: SANDBOX.PENDING_SUKSES })).json().id;
        for (let i = 0; i < 200 && !stack.fake.transactions.has(String(ok)); i++) await new Promise((r) => setTimeout(r, 25));
        stack.fake.settle(String(ok), 'Sukses', false);
        const trx = stack.fake.transactions.get(String(ok))!;
        const res = await post({ data: { ref_id: trx.ref_id, customer_no: trx.customer_no, buyer_sku_code: trx.buyer_sku_code, message: trx.message, status: trx.status, rc: trx.rc, sn: trx.sn, buyer_last_saldo: 0, price: trx.price } });
        expect(res.json()).toEqual({ diterima: true, diubah: true });
        const events: Array<{ type: string; payload: string }> = await stack.t.dataSource.query('SELECT type, payload FROM callback_event WHERE transaksi_id = ?', [ok]);
        expect(events.map((e) => e.type)).toEqual(['transaksi.sukses']);
        expect(JSON.parse(events[0].payload).data).toMatchObject({ id: ok, status: 'sukses', sn: trx.sn });
      });
    });

    it("settles a purchase waiting for an operator when the supplier's callback finally comes", async () => {
      const { t, fake } = stack;
      fake.faults.dropCallbacks = true;
      const user = await fundedReseller(t.app, START);
      const id = (await beli(t.app, user.apiKey, { produk_id: stack.produkId, nomor_tujuan: SANDBOX.PENDING_GAGAL })).json().id;
      for (let i = 0; i < 200 && !fake.transactions.has(String(id)); i++) await new Promise((r) => setTimeout(r, 25));
      fake.options.pendingMs = 60_000;
      // As the processor leaves a purchase it could not settle after every claim.
      await t.dataSource.query("UPDATE transaksi SET perlu_operator = 1, locked_by = NULL, locked_until = NULL WHERE id = ? AND status = 'proses'", [id]);
      fake.settle(String(id), 'Gagal', false);
      fake.faults.dropCallbacks = false;
      expect(await fake.postCallback({ data: pick(fake.transactions.get(String(id))!) })).toBe(200);
      const [row] = await t.dataSource.query('SELECT status, perlu_operator FROM transaksi WHERE id = ?', [id]);
      expect({ status: row.status, perlu_operator: Number(row.perlu_operator) }).toEqual({ status: 'gagal', perlu_operator: 0 });
      fake.options.pendingMs = 300;
      await expectMatchesSupplier(stack, user.id, START);
    });

    it('syncs on demand: answers what changed, keeps a hand-set harga, hides what the supplier stopped selling, and 503 on rc 83', async () => {
      const { t, fake } = stack;
      // The operator prices the seed product PULSA20 by hand: the sync keeps that harga.
      expect((await admin(t.app, 'PATCH', '/admin/produk/2', { harga: 23_456 })).json()).toMatchObject({ harga: 23_456, harga_manual: true });
      const xl = fake.products.find((p) => p.buyer_sku_code === 'xld10')!;
      xl.price = '10200';
      const pulsa10 = fake.products.find((p) => p.buyer_sku_code === 'PULSA10')!;
      pulsa10.seller_product_status = false;
      // PULSA20 is inside its cut-off window right now (Jakarta time).
      const pulsa20 = fake.products.find((p) => p.buyer_sku_code === 'PULSA20')!;
      const jakarta = (offsetMin: number) => jakartaClock(new Date(Date.now() + offsetMin * 60_000));
      pulsa20.start_cut_off = jakarta(-2);
      pulsa20.end_cut_off = jakarta(10);
      try {
        const res = await syncProduk(t.app);
        expect(res.statusCode).toBe(200);
        const report = res.json();
        const byKode = new Map((report.diubah as Array<{ kode: string; sesudah: { harga: number; tersedia_supplier: boolean } }>).map((c) => [c.kode, c.sesudah]));
        expect(byKode.get('xld10')).toMatchObject({ harga: 10_200 + 850, harga_modal: 10_200 });
        expect(byKode.get('PULSA10')).toMatchObject({ tersedia_supplier: false });
        const seeded = (await admin(t.app, 'GET', '/admin/produk')).json().find((p: { id: number }) => p.id === 2);
        expect(seeded).toMatchObject({ harga: 23_456, harga_manual: true, harga_modal: 20_300 });
        const user = await fundedReseller(t.app, 50_000);
        const kodes = (await get(t.app, user.apiKey, '/produk')).json().map((p: { kode: string }) => p.kode);
        expect(kodes).not.toContain('PULSA10');
        expect(kodes).not.toContain('PULSA20');
        expect(kodes).toContain('xld10');
        for (const produkId of [1, 2]) {
          const refused = await beli(t.app, user.apiKey, { produk_id: produkId, nomor_tujuan: SANDBOX.SUKSES });
          expect(refused.statusCode).toBe(422);
          expect(refused.json().code).toBe('PRODUK_NOT_FOUND');
        }

        fake.priceListMinIntervalMs = 300_000;
        const throttled = await syncProduk(t.app);
        expect(throttled.statusCode).toBe(503);
        expect(throttled.json()).toMatchObject({ code: 'SUPPLIER_UNAVAILABLE', detail: expect.stringContaining('rc 83') });
      } finally {
        fake.priceListMinIntervalMs = 0;
        xl.price = XLD10_MODAL;
        pulsa10.seller_product_status = true;
        pulsa20.start_cut_off = '0:0';
        pulsa20.end_cut_off = '0:0';
        await syncProduk(t.app);
      }
    });

    it('lets one holder at a time take a lease row, and another once it has run out', async () => {
      const { dataSource } = stack.t;
      const dialect = engine === 'mysql' ? 'mysql' : 'sqlite';
      expect(await tryLease(dataSource, dialect, 'test:lease', 'one', 400)).toBe(true);
      expect(await tryLease(dataSource, dialect, 'test:lease', 'two', 400)).toBe(false);
      expect(await tryLease(dataSource, dialect, 'test:lease', 'one', 400)).toBe(true);
      await new Promise((r) => setTimeout(r, 600));
      expect(await tryLease(dataSource, dialect, 'test:lease', 'two', 60_000)).toBe(true);
      expect(await tryLease(dataSource, dialect, 'test:lease', 'one', 400)).toBe(false);
    });

    it('answers /inquiry-pln from the supplier: a known customer, 404 for an unknown one, 400 for bad input', async () => {
      const user = await fundedReseller(stack.t.app, 1_000);
      const known = await reseller(stack.t.app, user.apiKey, 'POST', '/inquiry-pln', { nomor_tujuan: '530000000001' });
      expect(known.statusCode).toBe(200);
      expect(known.json()).toMatchObject({ customer_no: '530000000001', name: 'BUDI SANTOSO', segment_power: 'R1 /000001300' });
      expect((await reseller(stack.t.app, user.apiKey, 'POST', '/inquiry-pln', { nomor_tujuan: '530000000009' })).statusCode).toBe(404);
      const bad = await reseller(stack.t.app, user.apiKey, 'POST', '/inquiry-pln', { nomor_tujuan: '12ab' });
      expect(bad.statusCode).toBe(400);
      expect(bad.json().detail).toMatch(/nomor_tujuan/);
    });

    it('exports the supplier deposit as ppob_upstream_saldo', async () => {
      const metrics = await stack.t.app.inject({ method: 'GET', url: '/metrics' });
      expect(metrics.body).toMatch(/^ppob_upstream_saldo \d+/m);
    });
  });
});

describe.each(ENGINES)('Digiflazz callbacks without DIGIFLAZZ_WEBHOOK_SECRET on %s', (engine) => {
  describeFor(engine)(engine, () => {
    let stack: SupplierStack;
    beforeAll(async () => {
      stack = await startSupplierStack(engine, { DIGIFLAZZ_WEBHOOK_SECRET: '', PROCESSOR_LEASE_MS: '8000', DIGIFLAZZ_TIMEOUT_MS: '5000' }, { webhookSecret: null });
    });
    afterAll(async () => {
      await stack?.close();
    });

    it('takes a callback only as a hint: a forged Gagal settles nothing the supplier does not say, and refunds nothing it delivered', async () => {
      const { t, fake } = stack;
      fake.faults.dropCallbacks = true;
      const user = await fundedReseller(t.app, START);
      const delivered = (await beli(t.app, user.apiKey, { produk_id: stack.produkId, nomor_tujuan: SANDBOX.PENDING_SUKSES })).json().id;
      const pending = (await beli(t.app, user.apiKey, { produk_id: stack.produkId, nomor_tujuan: SANDBOX.PENDING_GAGAL })).json().id;
      for (let i = 0; i < 200 && !(fake.transactions.has(String(delivered)) && fake.transactions.has(String(pending))); i++) await new Promise((r) => setTimeout(r, 25));
      // The supplier delivers one of them; the other stays pending there (the lease keeps the processor from asking yet).
      fake.options.pendingMs = 60_000;
      fake.settle(String(delivered), 'Sukses', false);
      const forged = (id: number) =>
        t.app.inject({ method: 'POST', url: '/webhook/digiflazz', headers: { 'content-type': 'application/json', 'x-digiflazz-event': 'update' }, payload: { data: { ref_id: String(id), status: 'Gagal', rc: '02', message: 'forged' } } });
      expect((await forged(delivered)).json()).toEqual({ diterima: true, diubah: true });
      expect((await forged(pending)).json()).toEqual({ diterima: true, diubah: false });
      expect((await get(t.app, user.apiKey, `/status/${delivered}`)).json()).toMatchObject({ status: 'sukses', sn: fake.transactions.get(String(delivered))!.sn });
      expect((await get(t.app, user.apiKey, `/status/${pending}`)).json()).toMatchObject({ status: 'proses' });
      // The second one ends when the supplier says so (its own status check by the processor).
      fake.settle(String(pending), 'Gagal', false);
      await expectMatchesSupplier(stack, user.id, START);
    }, 60_000);
  });
});

describe('POST /inquiry-pln with the simulated provider', () => {
  describeFor('sqlite')('sqlite', () => {
    const t = useTestApp('sqlite');
    it('answers deterministic made-up data: the same number always names the same customer', async () => {
      const user = await registerUser(t.app, { saldo: 0 });
      const first = await reseller(t.app, user.apiKey, 'POST', '/inquiry-pln', { nomor_tujuan: '530000000001' });
      const again = await reseller(t.app, user.apiKey, 'POST', '/inquiry-pln', { nomor_tujuan: '530000000001' });
      const other = await reseller(t.app, user.apiKey, 'POST', '/inquiry-pln', { nomor_tujuan: '530000000002' });
      expect(first.statusCode).toBe(200);
      expect(first.json()).toEqual({ customer_no: '530000000001', meter_no: expect.stringMatching(/^\d{11}$/), subscriber_id: expect.any(String), name: expect.any(String), segment_power: expect.stringMatching(/^[RB]\d \/\d+$/) });
      expect(again.json()).toEqual(first.json());
      expect(other.json()).not.toEqual(first.json());
      const [n] = await t.dataSource.query('SELECT COUNT(*) AS n FROM transaksi');
      expect(Number(n.n)).toBe(0);
    });
  });
});
