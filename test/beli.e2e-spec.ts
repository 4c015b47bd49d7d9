import { beli, get, registerUser, waitFor } from './support/factories';
import { checkLedger, doubleExecutions } from './support/invariants';
import { describeEachEngine } from './support/test-app';

describeEachEngine('POST /beli', (t) => {
  async function finalStatus(apiKey: string, id: number): Promise<Record<string, unknown>> {
    return waitFor(async () => {
      const res = await get(t.app, apiKey, `/status/${id}`);
      const json = res.json();
      return json.status === 'sukses' || json.status === 'gagal' ? json : undefined;
    }, 10_000, `transaksi ${id} to finish`);
  }

  it('answers pending at once, debits the harga and finishes sukses for the sandbox sukses number', async () => {
    const user = await registerUser(t.app, { saldo: 50_000 });
    const res = await beli(t.app, user.apiKey, { produk_id: 1, nomor_tujuan: '087800000001', ref_id: 'inv-1' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ id: expect.any(Number), status: 'pending', ref_id: 'inv-1', harga: 12_000, saldo: 38_000 });

    const done = await finalStatus(user.apiKey, res.json().id);
    expect(done.status).toBe('sukses');
    expect(done.hasil_eksekusi).toMatch(/SN: \d{20}/);
    expect((await get(t.app, user.apiKey, '/saldo')).json()).toEqual({ saldo: 38_000 });
  });

  it('refunds the saldo when the provider says gagal', async () => {
    const user = await registerUser(t.app, { saldo: 100_000 });
    const res = await beli(t.app, user.apiKey, { produk_id: 3, nomor_tujuan: '087800000002' });
    expect(res.statusCode).toBe(200);
    expect(res.json().saldo).toBe(49_000);

    const done = await finalStatus(user.apiKey, res.json().id);
    expect(done.status).toBe('gagal');
    expect((await get(t.app, user.apiKey, '/saldo')).json()).toEqual({ saldo: 100_000 });
    const mutasi = (await get(t.app, user.apiKey, '/mutasi')).json();
    expect(mutasi.map((m: { jenis: string; jumlah: number; saldo_akhir: number }) => [m.jenis, m.jumlah, m.saldo_akhir])).toEqual([
      ['refund', 51_000, 100_000],
      ['debit', -51_000, 49_000],
      ['saldo_awal', 100_000, 100_000],
    ]);
  });

  it('refuses with 402 and writes nothing when the saldo is too low', async () => {
    const user = await registerUser(t.app, { saldo: 12_000 });
    const res = await beli(t.app, user.apiKey, { produk_id: 2, ref_id: 'too-expensive' });
    expect(res.statusCode).toBe(402);
    expect(res.json()).toMatchObject({ statusCode: 402, code: 'INSUFFICIENT_SALDO', detail: expect.any(String) });
    expect((await get(t.app, user.apiKey, '/riwayat')).json()).toEqual([]);
    expect((await get(t.app, user.apiKey, '/mutasi')).json()).toHaveLength(1);
    expect((await get(t.app, user.apiKey, '/saldo')).json()).toEqual({ saldo: 12_000 });
  });

  it('never overdraws under concurrent purchases against a small saldo', async () => {
    const user = await registerUser(t.app, { saldo: 60_000 });
    const results = await Promise.all(Array.from({ length: 20 }, () => beli(t.app, user.apiKey, { produk_id: 1 })));
    const codes = results.map((r) => r.statusCode).sort();
    expect(codes.filter((c) => c === 200)).toHaveLength(5);
    expect(codes.filter((c) => c === 402)).toHaveLength(15);
    expect((await get(t.app, user.apiKey, '/saldo')).json()).toEqual({ saldo: 0 });
  });

  it('keeps every user ledger equal to their saldo and executes nothing twice', async () => {
    await waitFor(async () => {
      const [row] = await t.dataSource.query("SELECT COUNT(*) AS n FROM transaksi WHERE status IN ('pending', 'proses')");
      return Number(row.n) === 0 ? true : undefined;
    }, 15_000, 'all transaksi to finish');
    for (const check of await checkLedger(t.dataSource)) {
      expect(check.saldo).toBe(check.ledgerSum);
      expect(check.saldo).toBe(check.lastSaldoAkhir);
      expect(check.saldo).toBe(check.expectedSaldo);
    }
    expect(await doubleExecutions(t.dataSource)).toEqual([]);
  });
});
