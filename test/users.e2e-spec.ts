import { beli, get, register, registerUser, saldoOf, waitForIdle } from './support/factories';
import { describeEachEngine, TestApp, useTestApp } from './support/test-app';
import { describeFor, ENGINES } from './support/test-db';

const HEX64 = /^[0-9a-f]{64}$/;
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;

interface MutasiRow {
  id: number;
  transaksi_id: number | null;
  jenis: string;
  jumlah: number;
  saldo_akhir: number;
  keterangan: string;
  waktu: string;
}

async function usersWithEmail(t: TestApp, email: string): Promise<number> {
  const [row] = await t.dataSource.query('SELECT COUNT(*) AS n FROM users WHERE LOWER(email) = ?', [email.toLowerCase()]);
  return Number(row.n);
}

describeEachEngine('users: /register, /saldo, /mutasi', (t) => {
  describe('POST /register', () => {
    it('answers 200 with a 64-hex api_key and private_key and an info text', async () => {
      const res = await register(t.app, { nama: 'Toko Maju', email: 'maju@example.com', hp: '081234567890' });
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body).toEqual({ api_key: expect.stringMatching(HEX64), private_key: expect.stringMatching(HEX64), info: expect.any(String) });
      expect(body.info.length).toBeGreaterThan(0);
      expect(body.api_key).not.toBe(body.private_key);
      // The key works, and a user registered without saldo starts at 0 with an empty ledger.
      expect(await saldoOf(t.app, body.api_key)).toBe(0);
      expect((await get(t.app, body.api_key, '/mutasi')).json()).toEqual([]);
    });

    it('refuses an email that is already registered with 409 EMAIL_TAKEN', async () => {
      expect((await register(t.app, { nama: 'Satu', email: 'taken@example.com' })).statusCode).toBe(200);
      const res = await register(t.app, { nama: 'Dua', email: 'taken@example.com' });
      expect(res.statusCode).toBe(409);
      expect(res.json()).toEqual({ statusCode: 409, code: 'EMAIL_TAKEN', detail: 'User/email sudah terdaftar' });
      expect(await usersWithEmail(t, 'taken@example.com')).toBe(1);
    });

    it('treats emails that differ only in case as the same email', async () => {
      expect((await register(t.app, { nama: 'Besar', email: 'A@X.com' })).statusCode).toBe(200);
      const res = await register(t.app, { nama: 'Kecil', email: 'a@x.com' });
      expect(res.statusCode).toBe(409);
      expect(res.json()).toEqual({ statusCode: 409, code: 'EMAIL_TAKEN', detail: 'User/email sudah terdaftar' });
      const upper = await register(t.app, { nama: 'Besar lagi', email: 'A@X.COM' });
      expect(upper.statusCode).toBe(409);
      expect(await usersWithEmail(t, 'a@x.com')).toBe(1);
    });

    it('lets exactly one of 10 concurrent registrations of the same email win', async () => {
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) => register(t.app, { nama: `Racer ${i}`, email: i % 2 ? 'race@example.com' : 'RACE@example.com', saldo: 1_000 })),
      );
      const codes = results.map((r) => r.statusCode);
      expect(codes.filter((c) => c === 200)).toHaveLength(1);
      expect(codes.filter((c) => c === 409)).toHaveLength(9);
      for (const res of results.filter((r) => r.statusCode === 409)) {
        expect(res.json()).toEqual({ statusCode: 409, code: 'EMAIL_TAKEN', detail: 'User/email sudah terdaftar' });
      }
      expect(await usersWithEmail(t, 'race@example.com')).toBe(1);
      // The losers wrote no ledger row: only the winner's saldo_awal exists.
      const [row] = await t.dataSource.query(
        "SELECT COUNT(*) AS n FROM mutasi m JOIN users u ON u.id = m.user_id WHERE LOWER(u.email) = 'race@example.com'",
      );
      expect(Number(row.n)).toBe(1);
    });

    it("starts the given saldo with one 'saldo_awal' ledger row", async () => {
      const user = await registerUser(t.app, { saldo: 75_000 });
      expect((await get(t.app, user.apiKey, '/saldo')).json()).toEqual({ saldo: 75_000 });
      const res = await get(t.app, user.apiKey, '/mutasi');
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual([
        {
          id: expect.any(Number),
          transaksi_id: null,
          jenis: 'saldo_awal',
          jumlah: 75_000,
          saldo_akhir: 75_000,
          keterangan: expect.any(String),
          waktu: expect.stringMatching(ISO_UTC),
        },
      ]);
      const waktu = Date.parse(res.json()[0].waktu);
      expect(Math.abs(waktu - Date.now())).toBeLessThan(5 * 60_000);
    });
  });

  describe('GET /saldo and GET /mutasi', () => {
    let user: { apiKey: string };
    let all: MutasiRow[];

    beforeAll(async () => {
      user = await registerUser(t.app, { saldo: 500_000 });
      // Someone else's ledger rows interleave with this user's.
      const other = await registerUser(t.app, { saldo: 300_000 });
      for (let i = 0; i < 6; i++) {
        expect((await beli(t.app, user.apiKey, { produk_id: 1, nomor_tujuan: '087800000001' })).statusCode).toBe(200);
        expect((await beli(t.app, other.apiKey, { produk_id: 1, nomor_tujuan: '087800000001' })).statusCode).toBe(200);
      }
      await waitForIdle(t.dataSource);
      all = (await get(t.app, user.apiKey, '/mutasi?limit=100')).json();
    });

    it('reports the saldo after the purchases', async () => {
      expect(await saldoOf(t.app, user.apiKey)).toBe(500_000 - 6 * 12_000);
    });

    it("lists only the caller's ledger rows, newest first, each with its running saldo_akhir", async () => {
      expect(all.map((m) => [m.jenis, m.jumlah, m.saldo_akhir])).toEqual([
        ...Array.from({ length: 6 }, (_, i) => ['debit', -12_000, 500_000 - (6 - i) * 12_000]),
        ['saldo_awal', 500_000, 500_000],
      ]);
      const ids = all.map((m) => m.id);
      expect([...ids].sort((a, b) => b - a)).toEqual(ids);
      const riwayat = (await get(t.app, user.apiKey, '/riwayat?limit=100')).json();
      const ownTrx = new Set(riwayat.map((r: { id: number }) => r.id));
      for (const m of all.filter((row) => row.jenis === 'debit')) expect(ownTrx.has(m.transaksi_id)).toBe(true);
    });

    it('pages with limit and before_id (keyset, newest first) without gaps or repeats', async () => {
      const seen: number[] = [];
      let url = '/mutasi?limit=3';
      for (let page = 0; page < 10; page++) {
        const res = await get(t.app, user.apiKey, url);
        expect(res.statusCode).toBe(200);
        const rows: MutasiRow[] = res.json();
        expect(rows.length).toBeLessThanOrEqual(3);
        if (rows.length === 0) break;
        seen.push(...rows.map((r) => r.id));
        url = `/mutasi?limit=3&before_id=${rows[rows.length - 1].id}`;
      }
      expect(seen).toEqual(all.map((m) => m.id));
    });

    it('returns only rows older than before_id', async () => {
      const pivot = all[2].id;
      const res = await get(t.app, user.apiKey, `/mutasi?before_id=${pivot}`);
      expect(res.statusCode).toBe(200);
      expect(res.json().map((m: MutasiRow) => m.id)).toEqual(all.slice(3).map((m) => m.id));
    });

    it('accepts limit=1 and limit=100', async () => {
      expect((await get(t.app, user.apiKey, '/mutasi?limit=1')).json().map((m: MutasiRow) => m.id)).toEqual([all[0].id]);
      expect((await get(t.app, user.apiKey, '/mutasi?limit=100')).json()).toHaveLength(all.length);
    });

    it.each([
      ['limit=0', 'limit'],
      ['limit=101', 'limit'],
      ['limit=abc', 'limit'],
      ['limit=-1', 'limit'],
      ['limit=1.5', 'limit'],
      ['before_id=-1', 'before_id'],
      ['before_id=0', 'before_id'],
      ['before_id=abc', 'before_id'],
    ])('answers 400 with a detail for %s', async (query, field) => {
      const res = await get(t.app, user.apiKey, `/mutasi?${query}`);
      expect(res.statusCode).toBe(400);
      const body = res.json();
      expect(body).toMatchObject({ statusCode: 400, code: 'VALIDATION_FAILED', detail: expect.stringMatching(/\S/) });
      expect(body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field, message: expect.any(String) })]));
    });
  });
});

describe.each(ENGINES)('register saldo policy on %s', (engine) => {
  describeFor(engine)(engine, () => {
    describe('with ALLOW_REGISTER_SALDO=false', () => {
      const t = useTestApp(engine, { ALLOW_REGISTER_SALDO: 'false' });

      it('refuses a starting saldo with 400 SALDO_NOT_ALLOWED and creates no user', async () => {
        const res = await register(t.app, { nama: 'Serakah', email: 'greedy@example.com', saldo: 1_000_000 });
        expect(res.statusCode).toBe(400);
        expect(res.json()).toEqual({ statusCode: 400, code: 'SALDO_NOT_ALLOWED', detail: expect.stringMatching(/\S/) });
        expect(await usersWithEmail(t, 'greedy@example.com')).toBe(0);
        const [mutasi] = await t.dataSource.query('SELECT COUNT(*) AS n FROM mutasi');
        expect(Number(mutasi.n)).toBe(0);
      });

      it('still registers a user who asks for no saldo, starting at 0', async () => {
        const res = await register(t.app, { nama: 'Jujur', email: 'honest@example.com' });
        expect(res.statusCode).toBe(200);
        expect(await saldoOf(t.app, res.json().api_key)).toBe(0);
      });
    });

    describe('with NODE_ENV=production and no ALLOW_REGISTER_SALDO', () => {
      const t = useTestApp(engine, { NODE_ENV: 'production', ALLOW_REGISTER_SALDO: '' });

      it('refuses a starting saldo by default', async () => {
        const res = await register(t.app, { nama: 'Prod', email: 'prod@example.com', saldo: 50_000 });
        expect(res.statusCode).toBe(400);
        expect(res.json()).toEqual({ statusCode: 400, code: 'SALDO_NOT_ALLOWED', detail: expect.stringMatching(/\S/) });
        expect(await usersWithEmail(t, 'prod@example.com')).toBe(0);
      });
    });
  });
});
