import { beli, get, registerUser, saldoOf } from './support/factories';
import { describeEachEngine } from './support/test-app';

describeEachEngine('GET /produk', (t) => {
  async function setAktif(id: number, aktif: boolean): Promise<void> {
    // A literal, not a bound boolean: better-sqlite3 cannot bind booleans.
    await t.dataSource.query(`UPDATE produk SET aktif = ${aktif ? 1 : 0} WHERE id = ?`, [id]);
  }

  it('lists exactly the three seeded products with integer harga and nominal', async () => {
    const user = await registerUser(t.app);
    const res = await get(t.app, user.apiKey, '/produk');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual([
      { id: 1, kode: 'PULSA10', nama: 'Pulsa 10k', kategori: 'pulsa', brand: '', harga: 12_000, nominal: 10_000, deskripsi: expect.any(String) },
      { id: 2, kode: 'PULSA20', nama: 'Pulsa 20k', kategori: 'pulsa', brand: '', harga: 22_000, nominal: 20_000, deskripsi: expect.any(String) },
      { id: 3, kode: 'PLN50', nama: 'Token Listrik 50k', kategori: 'pln', brand: '', harga: 51_000, nominal: 50_000, deskripsi: expect.any(String) },
    ]);
  });

  it('hides a product switched off in the database and refuses to sell it with 422 PRODUK_NOT_FOUND', async () => {
    const user = await registerUser(t.app, { saldo: 100_000 });
    await setAktif(2, false);
    try {
      const list = await get(t.app, user.apiKey, '/produk');
      expect(list.statusCode).toBe(200);
      expect(list.json().map((p: { id: number }) => p.id)).toEqual([1, 3]);

      const [before] = await t.dataSource.query('SELECT COUNT(*) AS n FROM transaksi');
      const res = await beli(t.app, user.apiKey, { produk_id: 2, nomor_tujuan: '087800000001' });
      expect(res.statusCode).toBe(422);
      expect(res.json()).toEqual({ statusCode: 422, code: 'PRODUK_NOT_FOUND', detail: expect.stringMatching(/\S/) });
      const [after] = await t.dataSource.query('SELECT COUNT(*) AS n FROM transaksi');
      expect(Number(after.n)).toBe(Number(before.n));
      expect(await saldoOf(t.app, user.apiKey)).toBe(100_000);
    } finally {
      await setAktif(2, true);
    }
    // Switched back on, it is listed and sold again.
    expect((await get(t.app, user.apiKey, '/produk')).json().map((p: { id: number }) => p.id)).toEqual([1, 2, 3]);
    const again = await beli(t.app, user.apiKey, { produk_id: 2, nomor_tujuan: '087800000001' });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ harga: 22_000, saldo: 78_000 });
  });
});
