import type { DataSource } from 'typeorm';
import { FakeDigiflazz, SANDBOX } from '../src/fake-upstream/fake-digiflazz';
import { ADMIN_KEY } from './support/admin';
import { FAKE_API_KEY, FAKE_SECRET, FAKE_USERNAME, supplierEnv, XLD10_HARGA } from './support/fake-supplier';
import { AppProcess, assertBuilt, httpJson, mapLimit, openCheckDataSource, sleep, startInstances, useInstanceCleanup, waitUntilSettled } from './support/instances';
import { createTestDatabase, describeFor, TestDatabase } from './support/test-db';

jest.setTimeout(120_000);

const USERS = 4;
const PURCHASES = 40;
const START = 1_000_000;

/**
 * Two real processes of the built app share one MariaDB database and the fake supplier; the
 * supplier's callbacks go to either instance in turn, so a purchase claimed by one is often
 * settled through the other. Every purchase must be exactly one supplier transaction, end in
 * the supplier's status, and every saldo be the start minus the sukses purchases.
 */
describeFor('mysql')('two instances against the fake supplier, callbacks at either', () => {
  useInstanceCleanup();
  let db: TestDatabase | undefined;
  let ds: DataSource | undefined;
  let fake: FakeDigiflazz | undefined;
  let instances: AppProcess[] = [];

  beforeAll(async () => {
    assertBuilt();
    db = await createTestDatabase('mysql');
    fake = new FakeDigiflazz({ username: FAKE_USERNAME, apiKey: FAKE_API_KEY, webhookSecret: FAKE_SECRET, pendingMs: 300, priceListMinIntervalMs: 0 });
    const url = await fake.listen();
    instances = await startInstances(2, (i) => ({
      name: `mp-supplier-${i + 1}`,
      env: { ...supplierEnv(url), NODE_ENV: 'test', DATABASE_URL: db!.url, DATABASE_POOL_SIZE: '8', LOG_LEVEL: 'warn', PROCESSOR_INTERVAL_MS: '100' },
    }));
    fake.webhookUrl = instances.map((p) => `${p.baseUrl}/webhook/digiflazz`).join(' ');
    ds = await openCheckDataSource(db.url);
  }, 120_000);

  afterAll(async () => {
    await ds?.destroy().catch(() => undefined);
    await Promise.all(instances.map((p) => p.kill('SIGKILL').catch(() => undefined)));
    await fake?.close();
    await db?.drop();
  }, 60_000);

  it('settles every purchase once, in the supplier status, with callbacks arriving at either instance', async () => {
    const [a, b] = instances;
    const adminCall = (p: AppProcess, path: string, body?: unknown) => httpJson(p.baseUrl, 'POST', path, { headers: { 'x-admin-key': ADMIN_KEY }, body });
    const created = await adminCall(a, '/admin/produk', { nama: 'XL 10k', kode: 'xld10', kategori: 'pulsa', harga: 99_000, nominal: 10_000 });
    expect(created.status).toBe(200);
    let sync = await adminCall(b, '/admin/produk/sync');
    for (let i = 0; i < 50 && sync.status === 409; i++) sync = (await sleep(100), await adminCall(b, '/admin/produk/sync'));
    expect(sync.status).toBe(200);

    const keys: string[] = [];
    for (let u = 0; u < USERS; u++) {
      const reg = await httpJson(instances[u % 2].baseUrl, 'POST', '/register', { body: { nama: `MP ${u}`, email: `mp-supplier-${u}@example.com` } });
      expect(reg.status).toBe(200);
      const [user] = await ds!.query('SELECT id FROM users WHERE email = ?', [`mp-supplier-${u}@example.com`]);
      const fund = await adminCall(instances[(u + 1) % 2], `/admin/users/${user.id}/saldo`, { jumlah: START, keterangan: 'modal', ref: `MP-FUND-${u}` });
      expect(fund.status).toBe(200);
      keys.push(reg.json.api_key);
    }

    const numbers = [SANDBOX.PENDING_SUKSES, SANDBOX.PENDING_GAGAL, SANDBOX.SUKSES, SANDBOX.GAGAL];
    const sent = await mapLimit(Array.from({ length: PURCHASES }, (_, i) => i), 8, (i) =>
      httpJson(instances[i % 2].baseUrl, 'POST', '/beli', { apiKey: keys[i % USERS], body: { produk_id: created.json.id, nomor_tujuan: numbers[i % numbers.length], ref_id: `mp-sup-${i}` } }),
    );
    expect(sent.map((s) => s.status)).toEqual(Array(PURCHASES).fill(200));
    const open = await waitUntilSettled(ds!, 60_000);
    expect(open).toBe(0);

    const rows: Array<{ id: number | string; user_id: number | string; status: string }> = await ds!.query('SELECT id, user_id, status FROM transaksi ORDER BY id');
    expect(rows).toHaveLength(PURCHASES);
    const mismatches = rows.filter((r) => fake!.transactions.get(String(r.id))?.status.toLowerCase() !== r.status);
    expect(mismatches).toEqual([]);
    expect(fake!.transactions.size).toBe(PURCHASES);
    const [refundErrors] = await ds!.query(
      `SELECT COUNT(*) AS n FROM transaksi t WHERE (SELECT COUNT(*) FROM mutasi m WHERE m.transaksi_id = t.id AND m.jenis = 'refund') <> (CASE WHEN t.status = 'gagal' THEN 1 ELSE 0 END)`,
    );
    expect(Number(refundErrors.n)).toBe(0);
    const saldos: Array<{ id: number | string; saldo: number | string; sukses: number | string }> = await ds!.query(
      "SELECT u.id, u.saldo, (SELECT COUNT(*) FROM transaksi t WHERE t.user_id = u.id AND t.status = 'sukses') AS sukses FROM users u",
    );
    for (const s of saldos) expect({ id: Number(s.id), saldo: Number(s.saldo) }).toEqual({ id: Number(s.id), saldo: START - Number(s.sukses) * XLD10_HARGA });
    // Callbacks went to both instances.
    expect([...fake!.callbacksByUrl.values()].every((n) => n > 0)).toBe(true);
    expect(fake!.callbacksByUrl.size).toBe(2);
  });
});
