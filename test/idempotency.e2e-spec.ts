import { beli, get, registerUser, saldoOf, TestUser, waitFor, waitForIdle } from './support/factories';
import { checkLedger, doubleExecutions } from './support/invariants';
import { describeEachEngine } from './support/test-app';

const SUKSES = '087800000001';
const GAGAL = '087800000002';

describeEachEngine('ref_id idempotency', (t) => {
  async function ledgerRows(user: TestUser): Promise<number> {
    return (await get(t.app, user.apiKey, '/mutasi?limit=100')).json().length;
  }

  async function transaksiWithRef(user: TestUser, refId: string): Promise<Array<{ id: number; produk_id: number }>> {
    const rows: Array<{ id: string | number; produk_id: string | number }> = await t.dataSource.query(
      'SELECT t.id, t.produk_id FROM transaksi t JOIN users u ON u.id = t.user_id WHERE u.email = ? AND t.ref_id = ?',
      [user.email.toLowerCase(), refId],
    );
    return rows.map((r) => ({ id: Number(r.id), produk_id: Number(r.produk_id) }));
  }

  async function finalStatus(user: TestUser, id: number): Promise<string> {
    return waitFor(async () => {
      const { status } = (await get(t.app, user.apiKey, `/status/${id}`)).json();
      return status === 'sukses' || status === 'gagal' ? status : undefined;
    }, 10_000, `transaksi ${id} to finish`);
  }

  it('returns the same transaksi for a repeated ref_id with the same body and charges nothing more', async () => {
    const user = await registerUser(t.app, { saldo: 100_000 });
    const first = await beli(t.app, user.apiKey, { produk_id: 1, nomor_tujuan: SUKSES, ref_id: 'INV-0001' });
    expect(first.statusCode).toBe(200);
    expect(first.json()).toEqual({ id: expect.any(Number), status: 'pending', ref_id: 'INV-0001', harga: 12_000, saldo: 88_000 });
    const id = first.json().id;
    expect(await finalStatus(user, id)).toBe('sukses');
    const mutasiBefore = await ledgerRows(user);

    const again = await beli(t.app, user.apiKey, { produk_id: 1, nomor_tujuan: SUKSES, ref_id: 'INV-0001' });
    expect(again.statusCode).toBe(200);
    // The existing transaksi as it is now, and the saldo as it is now: nothing charged twice.
    expect(again.json()).toEqual({ id, status: 'sukses', ref_id: 'INV-0001', harga: 12_000, saldo: 88_000 });
    expect((await get(t.app, user.apiKey, `/status/${id}`)).json().status).toBe(again.json().status);
    expect(await saldoOf(t.app, user.apiKey)).toBe(88_000);
    expect(await ledgerRows(user)).toBe(mutasiBefore);
    expect(await transaksiWithRef(user, 'INV-0001')).toHaveLength(1);
  });

  it('does not charge again when the repeated ref_id belongs to a purchase that failed and was refunded', async () => {
    const user = await registerUser(t.app, { saldo: 60_000 });
    const first = await beli(t.app, user.apiKey, { produk_id: 3, nomor_tujuan: GAGAL, ref_id: 'gagal-1' });
    expect(first.statusCode).toBe(200);
    expect(await finalStatus(user, first.json().id)).toBe('gagal');
    expect(await saldoOf(t.app, user.apiKey)).toBe(60_000);
    const mutasiBefore = await ledgerRows(user);

    const again = await beli(t.app, user.apiKey, { produk_id: 3, nomor_tujuan: GAGAL, ref_id: 'gagal-1' });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual({ id: first.json().id, status: 'gagal', ref_id: 'gagal-1', harga: 51_000, saldo: 60_000 });
    expect(await saldoOf(t.app, user.apiKey)).toBe(60_000);
    expect(await ledgerRows(user)).toBe(mutasiBefore);
  });

  it.each([
    ['a different nomor_tujuan', { produk_id: 1, nomor_tujuan: '081111111111' }],
    ['a different produk_id', { produk_id: 2, nomor_tujuan: SUKSES }],
  ])('answers 409 REF_ID_CONFLICT for the same ref_id with %s and charges nothing', async (_what, body) => {
    const user = await registerUser(t.app, { saldo: 100_000 });
    const first = await beli(t.app, user.apiKey, { produk_id: 1, nomor_tujuan: SUKSES, ref_id: 'dup-ref' });
    expect(first.statusCode).toBe(200);
    const saldo = await saldoOf(t.app, user.apiKey);
    const mutasi = await ledgerRows(user);

    const res = await beli(t.app, user.apiKey, { ...body, ref_id: 'dup-ref' });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toEqual({ statusCode: 409, code: 'REF_ID_CONFLICT', detail: expect.stringMatching(/\S/) });
    expect(await saldoOf(t.app, user.apiKey)).toBe(saldo);
    expect(await ledgerRows(user)).toBe(mutasi);
    expect(await transaksiWithRef(user, 'dup-ref')).toEqual([{ id: first.json().id, produk_id: 1 }]);
  });

  it('lets two different users use the same ref_id, each getting their own transaksi', async () => {
    const alice = await registerUser(t.app, { saldo: 50_000 });
    const bob = await registerUser(t.app, { saldo: 50_000 });
    const a = await beli(t.app, alice.apiKey, { produk_id: 1, nomor_tujuan: SUKSES, ref_id: 'shared-ref' });
    const b = await beli(t.app, bob.apiKey, { produk_id: 1, nomor_tujuan: SUKSES, ref_id: 'shared-ref' });
    expect(a.statusCode).toBe(200);
    expect(b.statusCode).toBe(200);
    expect(a.json().id).not.toBe(b.json().id);
    expect(a.json()).toMatchObject({ ref_id: 'shared-ref', saldo: 38_000 });
    expect(b.json()).toMatchObject({ ref_id: 'shared-ref', saldo: 38_000 });
    expect(await transaksiWithRef(alice, 'shared-ref')).toHaveLength(1);
    expect(await transaksiWithRef(bob, 'shared-ref')).toHaveLength(1);
    // Each sees only their own under /status.
    expect((await get(t.app, alice.apiKey, `/status/${b.json().id}`)).statusCode).toBe(404);
  });

  it('treats ref_ids that differ only in letter case as two different references', async () => {
    const user = await registerUser(t.app, { saldo: 100_000 });
    const upper = await beli(t.app, user.apiKey, { produk_id: 1, nomor_tujuan: SUKSES, ref_id: 'INV-CASE' });
    const lower = await beli(t.app, user.apiKey, { produk_id: 1, nomor_tujuan: SUKSES, ref_id: 'inv-case' });
    expect(upper.statusCode).toBe(200);
    expect(lower.statusCode).toBe(200);
    expect(lower.json()).toMatchObject({ ref_id: 'inv-case', saldo: 76_000 });
    expect(lower.json().id).not.toBe(upper.json().id);
    expect(await saldoOf(t.app, user.apiKey)).toBe(76_000);
  });

  it('creates exactly one transaksi and one debit when 20 identical purchases with one ref_id race', async () => {
    const user = await registerUser(t.app, { saldo: 100_000 });
    const results = await Promise.all(
      Array.from({ length: 20 }, () => beli(t.app, user.apiKey, { produk_id: 1, nomor_tujuan: SUKSES, ref_id: 'race-1' })),
    );
    const statuses = results.map((r) => r.statusCode);
    expect(statuses).toEqual(Array(20).fill(200));
    const ids = new Set(results.map((r) => r.json().id));
    expect(ids.size).toBe(1);
    for (const r of results) expect(r.json()).toMatchObject({ ref_id: 'race-1', harga: 12_000 });

    const rows = await transaksiWithRef(user, 'race-1');
    expect(rows).toHaveLength(1);
    expect(rows[0].id).toBe([...ids][0]);
    const [debits] = await t.dataSource.query("SELECT COUNT(*) AS n FROM mutasi WHERE transaksi_id = ? AND jenis = 'debit'", [rows[0].id]);
    expect(Number(debits.n)).toBe(1);
    expect(await saldoOf(t.app, user.apiKey)).toBe(88_000);
    expect(await ledgerRows(user)).toBe(2);
  });

  it('lets a ref_id refused for insufficient saldo be used again', async () => {
    const user = await registerUser(t.app, { saldo: 12_000 });
    const refused = await beli(t.app, user.apiKey, { produk_id: 2, nomor_tujuan: SUKSES, ref_id: 'x' });
    expect(refused.statusCode).toBe(402);
    expect(refused.json()).toMatchObject({ statusCode: 402, code: 'INSUFFICIENT_SALDO', detail: expect.stringMatching(/\S/) });
    expect(await transaksiWithRef(user, 'x')).toEqual([]);

    const ok = await beli(t.app, user.apiKey, { produk_id: 1, nomor_tujuan: SUKSES, ref_id: 'x' });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ id: expect.any(Number), status: 'pending', ref_id: 'x', harga: 12_000, saldo: 0 });
    expect(await transaksiWithRef(user, 'x')).toEqual([{ id: ok.json().id, produk_id: 1 }]);
  });

  it('answers a repeated ref_id with the original purchase even when the saldo no longer covers another', async () => {
    const user = await registerUser(t.app, { saldo: 12_000 });
    const first = await beli(t.app, user.apiKey, { produk_id: 1, nomor_tujuan: SUKSES, ref_id: 'last-rupiah' });
    expect(first.statusCode).toBe(200);
    expect(first.json().saldo).toBe(0);

    const again = await beli(t.app, user.apiKey, { produk_id: 1, nomor_tujuan: SUKSES, ref_id: 'last-rupiah' });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ id: first.json().id, ref_id: 'last-rupiah', harga: 12_000, saldo: 0 });
    // The same ref_id with a different body is still a conflict, not "saldo tidak cukup".
    const other = await beli(t.app, user.apiKey, { produk_id: 1, nomor_tujuan: GAGAL, ref_id: 'last-rupiah' });
    expect(other.statusCode).toBe(409);
    expect(other.json().code).toBe('REF_ID_CONFLICT');
    expect(await transaksiWithRef(user, 'last-rupiah')).toHaveLength(1);
    expect(await saldoOf(t.app, user.apiKey)).toBe(0);
  });

  it('keeps every ledger equal to its saldo and executes nothing twice', async () => {
    await waitForIdle(t.dataSource);
    for (const check of await checkLedger(t.dataSource)) {
      expect(check.saldo).toBe(check.ledgerSum);
      expect(check.saldo).toBe(check.lastSaldoAkhir ?? 0);
      expect(check.saldo).toBe(check.expectedSaldo);
    }
    expect(await doubleExecutions(t.dataSource)).toEqual([]);
  });
});
