import { createHmac } from 'node:crypto';
import { SANDBOX } from '../src/fake-upstream/fake-digiflazz';
import { admin, reseller } from './support/admin';
import { beli, get, waitFor, waitForIdle } from './support/factories';
import { FAKE_API_KEY, FAKE_SECRET, fundedReseller, syncProduk, useSupplierStack, XLD10_HARGA, XLD10_MODAL } from './support/fake-supplier';
import { describeFor, ENGINES } from './support/test-db';

const START = 100_000;

/** Adversarial cases of the supplier adapter found in review (issue 11). */
describe.each(ENGINES)('Digiflazz supplier, review cases, on %s', (engine) => {
  describeFor(engine)(engine, () => {
    const stack = useSupplierStack(engine);
    beforeEach(() => {
      stack.fake.options.apiKey = FAKE_API_KEY;
    });

    const row = async (id: number) => {
      const [r] = await stack.t.dataSource.query('SELECT status, attempts FROM transaksi WHERE id = ?', [id]);
      return { status: r.status as string, attempts: Number(r.attempts) };
    };
    const refunds = async (id: number) => {
      const [r] = await stack.t.dataSource.query("SELECT COUNT(*) AS n FROM mutasi WHERE transaksi_id = ? AND jenis = 'refund'", [id]);
      return Number(r.n);
    };

    it('never refunds on a retry that the supplier refuses before looking at the ref_id (rc 41): the first call may have delivered', async () => {
      const { t, fake } = stack;
      const user = await fundedReseller(t.app, START);
      // The first call is recorded (and delivered) but answered after the adapter gave up.
      fake.faults.slowMs = 2_500;
      fake.faults.slowCalls = 1;
      const id: number = (await beli(t.app, user.apiKey, { produk_id: stack.produkId, nomor_tujuan: SANDBOX.SUKSES })).json().id;
      await waitFor(async () => (fake.transactions.has(String(id)) ? true : undefined), 10_000, 'the supplier to record the purchase');
      // Then our key stops being accepted (rotated at the supplier): every retry is rc 41 "Signature salah".
      fake.options.apiKey = 'rotated-at-the-supplier';
      await waitFor(async () => {
        const r = await row(id);
        return r.status !== 'proses' || r.attempts >= 3 ? r : undefined;
      }, 20_000, 'a retry answered rc 41');
      fake.options.apiKey = FAKE_API_KEY;
      await waitForIdle(t.dataSource, 60_000);
      expect(fake.transactions.get(String(id))).toMatchObject({ status: 'Sukses', calls: expect.any(Number) });
      expect({ status: (await row(id)).status, refunds: await refunds(id) }).toEqual({ status: 'sukses', refunds: 0 });
      const [u] = await t.dataSource.query('SELECT saldo FROM users WHERE id = ?', [user.id]);
      expect(Number(u.saldo)).toBe(START - XLD10_HARGA);
    }, 90_000);

    it('sends the supplier price the purchase was sold at as max_price, also when a sync raised it before the call went through', async () => {
      const { t, fake } = stack;
      const user = await fundedReseller(t.app, START);
      const xl = fake.products.find((p) => p.buyer_sku_code === 'xld10')!;
      // The supplier is busy (rc 85, nothing created) while it raises its price and we sync it.
      fake.faults.tryLaterCalls = 1_000;
      const before = fake.tryLaterAnswered;
      try {
        const id: number = (await beli(t.app, user.apiKey, { produk_id: stack.produkId, nomor_tujuan: SANDBOX.SUKSES })).json().id;
        await waitFor(async () => (fake.tryLaterAnswered > before ? true : undefined), 10_000, 'the first call answered rc 85');
        xl.price = XLD10_MODAL + 2_000;
        expect((await syncProduk(t.app)).statusCode).toBe(200);
        fake.faults.tryLaterCalls = 0;
        await waitForIdle(t.dataSource, 60_000);
        // Sold at XLD10_MODAL + markup: the supplier must not charge it the new, higher price.
        const charged = fake.transactions.get(String(id));
        expect({ supplierPrice: charged?.price ?? null, maxPrice: charged?.max_price ?? null }).toEqual({ supplierPrice: null, maxPrice: null });
        expect({ status: (await row(id)).status, refunds: await refunds(id) }).toEqual({ status: 'gagal', refunds: 1 });
      } finally {
        fake.faults.tryLaterCalls = 0;
        xl.price = XLD10_MODAL;
        await syncProduk(t.app);
      }
    }, 90_000);

    it('answers every malformed signed callback with 200 or a 4xx with detail, never 500, and changes nothing', async () => {
      const { t } = stack;
      const [before] = await t.dataSource.query("SELECT COUNT(*) AS n FROM mutasi");
      const raws = ['[]', '"x"', '123', 'null', '{', '{"data": []}', '{"data": "x"}', '{"data": {"ref_id": {"a": 1}}}', '{"data": {"ref_id": 99999999999999999999}}',
        '{"data": {"ref_id": "123456789012345678", "status": "Gagal", "rc": "02"}}', '{"data": {"ref_id": "1", "status": {"x": 1}, "rc": 0, "sn": {"x": 1}, "message": ["a"]}}',
        '{"__proto__": {"x": 1}, "data": {"ref_id": "1"}}', '{"data": {"ref_id": "1", "status": "Sukses", "rc": "00", "sn": "' + 'x'.repeat(5_000) + '"}}'];
      for (const raw of raws) {
        const res = await t.app.inject({
          method: 'POST',
          url: '/webhook/digiflazz',
          headers: { 'content-type': 'application/json', 'x-digiflazz-event': 'update', 'x-hub-signature': `sha1=${createHmac('sha1', FAKE_SECRET).update(raw).digest('hex')}` },
          payload: raw,
        });
        const ok = res.statusCode === 200 || (res.statusCode >= 400 && res.statusCode < 500 && typeof res.json().detail === 'string');
        expect({ raw: raw.slice(0, 80), statusCode: res.statusCode, ok }).toEqual({ raw: raw.slice(0, 80), statusCode: res.statusCode, ok: true });
      }
      const [after] = await t.dataSource.query("SELECT COUNT(*) AS n FROM mutasi");
      expect(Number(after.n)).toBe(Number(before.n));
    });

    it('answers /inquiry-pln 503 when the supplier cannot say (rc 86 limit, rc 41 signature), 404 only when it says the number is wrong', async () => {
      const { t, fake } = stack;
      const user = await fundedReseller(t.app, 1_000);
      const ask = () => reseller(t.app, user.apiKey, 'POST', '/inquiry-pln', { nomor_tujuan: '530000000001' });
      fake.faults.tryLaterCalls = 1;
      const limited = await ask();
      expect({ statusCode: limited.statusCode, code: limited.json().code }).toEqual({ statusCode: 503, code: 'SUPPLIER_UNAVAILABLE' });
      fake.options.apiKey = 'rotated-at-the-supplier';
      const refused = await ask();
      expect({ statusCode: refused.statusCode, code: refused.json().code }).toEqual({ statusCode: 503, code: 'SUPPLIER_UNAVAILABLE' });
      fake.options.apiKey = FAKE_API_KEY;
      expect((await ask()).statusCode).toBe(200);
      expect((await reseller(t.app, user.apiKey, 'POST', '/inquiry-pln', { nomor_tujuan: '530000000009' })).statusCode).toBe(404);
    });

    it('runs one price-list sync at a time on one instance too: a second operator sync while one runs is 409', async () => {
      const { t } = stack;
      expect((await syncProduk(t.app)).statusCode).toBe(200);
      const calls = stack.fake.priceListCalls;
      const answers = await Promise.all([admin(t.app, 'POST', '/admin/produk/sync'), admin(t.app, 'POST', '/admin/produk/sync')]);
      expect(answers.map((a) => a.statusCode).sort()).toEqual([200, 409]);
      expect(answers.find((a) => a.statusCode === 409)!.json().code).toBe('SUPPLIER_SYNC_RUNNING');
      // The supplier was asked once: a second ask within 5 minutes is its rc 83.
      expect(stack.fake.priceListCalls - calls).toBe(1);
    });

    it("settles a Sukses callback whose serial number is longer than the column, instead of answering 500 and leaving it stuck", async () => {
      const { t, fake } = stack;
      fake.faults.dropCallbacks = true;
      fake.options.pendingMs = 60_000;
      try {
        const user = await fundedReseller(t.app, START);
        const id: number = (await beli(t.app, user.apiKey, { produk_id: stack.produkId, nomor_tujuan: SANDBOX.PENDING_SUKSES })).json().id;
        await waitFor(async () => (fake.transactions.has(String(id)) ? true : undefined), 10_000, 'the supplier to record the purchase');
        // A PLN token's SN carries the customer's name, tariff and kWh; a long one is still the supplier's answer.
        const sn = `1234-5678-9012-3456-7890/${'NAMA PELANGGAN SANGAT PANJANG '.repeat(5)}/R1M/900 VA/32.1`;
        const trx = fake.transactions.get(String(id))!;
        const raw = JSON.stringify({ data: { ref_id: String(id), customer_no: trx.customer_no, buyer_sku_code: trx.buyer_sku_code, message: 'Transaksi Sukses', status: 'Sukses', rc: '00', sn, buyer_last_saldo: 0, price: trx.price } });
        const res = await t.app.inject({
          method: 'POST',
          url: '/webhook/digiflazz',
          headers: { 'content-type': 'application/json', 'x-digiflazz-event': 'update', 'x-hub-signature': `sha1=${createHmac('sha1', FAKE_SECRET).update(raw).digest('hex')}` },
          payload: raw,
        });
        expect({ statusCode: res.statusCode, body: res.json() }).toEqual({ statusCode: 200, body: { diterima: true, diubah: true } });
        const status = (await get(t.app, user.apiKey, `/status/${id}`)).json();
        expect(status).toMatchObject({ status: 'sukses', sn: expect.stringMatching(/^1234-5678-9012-3456-7890\//) });
      } finally {
        fake.options.pendingMs = 300;
      }
    });
  });
});
