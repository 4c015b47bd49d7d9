import { beli, get, registerUser, TestUser, waitFor, waitForIdle } from './support/factories';
import { describeEachEngine } from './support/test-app';

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;
const SUKSES = '087800000001';
const GAGAL = '087800000002';

interface TransaksiJson {
  id: number;
  ref_id: string;
  produk_id: number;
  nomor_tujuan: string;
  nominal: number;
  harga: number;
  status: string;
  waktu: string;
  updated_at: string;
  hasil_eksekusi: string | null;
}

describeEachEngine('GET /status and GET /riwayat', (t) => {
  async function buy(user: TestUser, body: Record<string, unknown> = {}): Promise<number> {
    const res = await beli(t.app, user.apiKey, body);
    if (res.statusCode !== 200) throw new Error(`beli failed: ${res.statusCode} ${res.body}`);
    return res.json().id;
  }

  async function finished(user: TestUser, id: number): Promise<TransaksiJson> {
    return waitFor(async () => {
      const json = (await get(t.app, user.apiKey, `/status/${id}`)).json();
      return json.status === 'sukses' || json.status === 'gagal' ? json : undefined;
    }, 10_000, `transaksi ${id} to finish`);
  }

  async function userId(user: TestUser): Promise<number> {
    const [row] = await t.dataSource.query('SELECT id FROM users WHERE email = ?', [user.email.toLowerCase()]);
    return Number(row.id);
  }

  describe('GET /status/{trx_id}', () => {
    it('returns the full transaksi with ISO-8601 UTC times', async () => {
      const user = await registerUser(t.app, { saldo: 100_000 });
      const before = Date.now();
      const id = await buy(user, { produk_id: 1, nomor_tujuan: SUKSES, ref_id: 'status-shape-1' });

      const early = await get(t.app, user.apiKey, `/status/${id}`);
      expect(early.statusCode).toBe(200);
      expect(['pending', 'proses', 'sukses']).toContain(early.json().status);

      const done = await finished(user, id);
      expect(done).toEqual({
        id,
        ref_id: 'status-shape-1',
        produk_id: 1,
        nomor_tujuan: SUKSES,
        nominal: 10_000,
        harga: 12_000,
        status: 'sukses',
        waktu: expect.stringMatching(ISO_UTC),
        updated_at: expect.stringMatching(ISO_UTC),
        hasil_eksekusi: expect.stringMatching(/\S/),
        sn: expect.stringMatching(/^\d{20}$/),
      });
      // Times are real UTC instants (not shifted by a time zone) and updated_at follows waktu.
      const waktu = Date.parse(done.waktu);
      const updated = Date.parse(done.updated_at);
      expect(Math.abs(waktu - before)).toBeLessThan(5 * 60_000);
      expect(updated).toBeGreaterThanOrEqual(waktu);
    });

    it('gives a transaksi without ref_id a generated ref_id', async () => {
      const user = await registerUser(t.app, { saldo: 100_000 });
      const res = await beli(t.app, user.apiKey, { produk_id: 3, nomor_tujuan: GAGAL });
      expect(res.statusCode).toBe(200);
      const status = (await get(t.app, user.apiKey, `/status/${res.json().id}`)).json();
      expect(status.ref_id).toMatch(/^[A-Za-z0-9._-]{1,64}$/);
      expect(status.ref_id).toBe(res.json().ref_id);
      const done = await finished(user, res.json().id);
      expect(done).toMatchObject({ status: 'gagal', produk_id: 3, nominal: 50_000, harga: 51_000 });
    });

    it("answers 404 TRANSAKSI_NOT_FOUND for another user's transaksi, exactly as for a missing one", async () => {
      const owner = await registerUser(t.app, { saldo: 100_000 });
      const stranger = await registerUser(t.app, { saldo: 100_000 });
      const id = await buy(owner, { produk_id: 1, nomor_tujuan: SUKSES });

      const foreign = await get(t.app, stranger.apiKey, `/status/${id}`);
      expect(foreign.statusCode).toBe(404);
      expect(foreign.json()).toEqual({ statusCode: 404, code: 'TRANSAKSI_NOT_FOUND', detail: expect.stringMatching(/\S/) });

      const missingId = 900_000_000;
      const missing = await get(t.app, stranger.apiKey, `/status/${missingId}`);
      expect(missing.statusCode).toBe(404);
      // Nothing but the id itself may tell the two apart.
      const neutral = (body: { detail: string }, trxId: number) => ({ ...body, detail: body.detail.split(String(trxId)).join('<id>') });
      expect(neutral(foreign.json(), id)).toEqual(neutral(missing.json(), missingId));
      expect(foreign.body).not.toContain(SUKSES);

      expect((await get(t.app, owner.apiKey, `/status/${id}`)).statusCode).toBe(200);
    });

    // Plain digits only: exponent, hex, sign or padded forms are not ids either.
    it.each(['abc', '0', '-1', '1.5', '99999999999999999999', '%20', '1e3', '0x10', '+5', '%2012'])('answers 400 with a detail for /status/%s', async (raw) => {
      const user = await registerUser(t.app);
      const res = await get(t.app, user.apiKey, `/status/${raw}`);
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ statusCode: 400, code: 'VALIDATION_FAILED', detail: expect.stringMatching(/\S/) });
    });
  });

  describe('GET /riwayat', () => {
    let user: TestUser;
    let other: TestUser;
    let ownIds: number[];
    let gagalIds: number[];

    beforeAll(async () => {
      user = await registerUser(t.app, { saldo: 2_000_000 });
      other = await registerUser(t.app, { saldo: 100_000 });
      gagalIds = [];
      for (let i = 0; i < 105; i++) {
        const gagal = i % 35 === 7;
        const id = await buy(user, { produk_id: 1, nomor_tujuan: gagal ? GAGAL : SUKSES, ref_id: `riwayat-${i}` });
        if (gagal) gagalIds.push(id);
        if (i % 50 === 0) await buy(other, { produk_id: 1, nomor_tujuan: SUKSES });
      }
      await waitForIdle(t.dataSource);
      const rows: Array<{ id: string | number }> = await t.dataSource.query('SELECT id FROM transaksi WHERE user_id = ? ORDER BY id DESC', [
        await userId(user),
      ]);
      ownIds = rows.map((r) => Number(r.id));
      expect(ownIds).toHaveLength(105);
      expect(gagalIds).toHaveLength(3);
    });

    it('returns the 100 newest of the caller only, newest first, with limit=100', async () => {
      const res = await get(t.app, user.apiKey, '/riwayat?limit=100');
      expect(res.statusCode).toBe(200);
      const rows: TransaksiJson[] = res.json();
      expect(rows.map((r) => r.id)).toEqual(ownIds.slice(0, 100));
      expect(rows[0]).toMatchObject({ ref_id: 'riwayat-104', produk_id: 1, harga: 12_000, nominal: 10_000 });
      for (const row of rows) expect(row.waktu).toMatch(ISO_UTC);
    });

    it('returns the 100 newest without a limit, as the original service did', async () => {
      const res = await get(t.app, user.apiKey, '/riwayat');
      expect(res.statusCode).toBe(200);
      const ids = res.json().map((r: TransaksiJson) => r.id);
      expect(ids).toEqual(ownIds.slice(0, 100));
    });

    it('pages through everything with limit and before_id, without gaps or repeats', async () => {
      const seen: number[] = [];
      let url = '/riwayat?limit=40';
      for (let page = 0; page < 10; page++) {
        const rows: TransaksiJson[] = (await get(t.app, user.apiKey, url)).json();
        if (rows.length === 0) break;
        expect(rows.length).toBeLessThanOrEqual(40);
        seen.push(...rows.map((r) => r.id));
        url = `/riwayat?limit=40&before_id=${rows[rows.length - 1].id}`;
      }
      expect(seen).toEqual(ownIds);
    });

    it('filters by status', async () => {
      const gagal: TransaksiJson[] = (await get(t.app, user.apiKey, '/riwayat?status=gagal')).json();
      expect(gagal.map((r) => r.id)).toEqual([...gagalIds].reverse());
      for (const row of gagal) expect(row.status).toBe('gagal');

      const sukses: TransaksiJson[] = (await get(t.app, user.apiKey, '/riwayat?status=sukses&limit=100')).json();
      expect(sukses).toHaveLength(100);
      expect(sukses.map((r) => r.id)).toEqual(ownIds.filter((id) => !gagalIds.includes(id)).slice(0, 100));
      for (const row of sukses) expect(row.status).toBe('sukses');

      expect((await get(t.app, user.apiKey, '/riwayat?status=pending')).json()).toEqual([]);
    });

    it('combines the status filter with before_id', async () => {
      const pivot = gagalIds[2];
      const res = await get(t.app, user.apiKey, `/riwayat?status=gagal&before_id=${pivot}`);
      expect(res.json().map((r: TransaksiJson) => r.id)).toEqual([gagalIds[1], gagalIds[0]]);
    });

    it("shows each user only their own transaksi", async () => {
      const theirs: TransaksiJson[] = (await get(t.app, other.apiKey, '/riwayat?limit=100')).json();
      expect(theirs).toHaveLength(3);
      for (const row of theirs) expect(ownIds).not.toContain(row.id);
    });

    it.each([
      ['limit=0', 'limit'],
      ['limit=101', 'limit'],
      ['limit=abc', 'limit'],
      ['limit=-5', 'limit'],
      ['before_id=0', 'before_id'],
      ['before_id=-1', 'before_id'],
      ['before_id=x1', 'before_id'],
      ['status=selesai', 'status'],
      ['status=SUKSES', 'status'],
    ])('answers 400 with a detail for %s', async (query, field) => {
      const res = await get(t.app, user.apiKey, `/riwayat?${query}`);
      expect(res.statusCode).toBe(400);
      const body = res.json();
      expect(body).toMatchObject({ statusCode: 400, code: 'VALIDATION_FAILED', detail: expect.stringMatching(/\S/) });
      expect(body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
    });
  });
});
