import { countRows, registerUser, saldoOf, TestUser } from './support/factories';
import { startTestApp, TestApp } from './support/test-app';
import { describeFor, ENGINES } from './support/test-db';

const JSON_TYPE = { 'content-type': 'application/json' };
const VALID_BELI = { produk_id: 1, nomor_tujuan: '087800000001' };
/** Just over the 16 KiB default body limit. */
const PADDING = ' '.repeat(16 * 1024 + 1);

interface BadCase {
  name: string;
  url: '/beli' | '/register';
  /** An object is sent as JSON; a string is sent as the raw body. */
  body: unknown;
  headers?: Record<string, string>;
  /** Expected status (or any of several where the contract allows either). */
  status: number | number[];
  code?: string;
  /** For validation errors: the field the `errors` list must name. */
  field?: string;
}

let emailSeq = 0;
/** A fresh address for every /register case, so a request that wrongly succeeds shows up as a new row. */
function email(): string {
  emailSeq += 1;
  return `bad-input-${emailSeq}@example.com`;
}

function beliCase(name: string, body: unknown, status: number | number[], extra: Partial<BadCase> = {}): BadCase {
  return { name: `POST /beli ${name}`, url: '/beli', body, status, ...extra };
}

function registerCase(name: string, body: unknown, status: number | number[], extra: Partial<BadCase> = {}): BadCase {
  return { name: `POST /register ${name}`, url: '/register', body, status, ...extra };
}

const invalid = (field: string) => ({ code: 'VALIDATION_FAILED', field });

const CASES: BadCase[] = [
  // Not JSON at all, or not an object.
  beliCase('with malformed JSON', '{"produk_id": 1, "nomor_tujuan": ', 400, { headers: JSON_TYPE }),
  beliCase('with an empty body and content-type json', '', 400, { headers: JSON_TYPE }),
  beliCase('with a text/plain body', JSON.stringify(VALID_BELI), [400, 415], { headers: { 'content-type': 'text/plain' } }),
  beliCase('with a form-urlencoded body', 'produk_id=1&nomor_tujuan=087800000001', [400, 415], {
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  }),
  beliCase('with a body over 16 KiB', JSON.stringify(VALID_BELI) + PADDING, 413, { headers: JSON_TYPE, code: 'PAYLOAD_TOO_LARGE' }),
  beliCase('with a JSON array body', [VALID_BELI], 400),
  beliCase('with a JSON string body', '"beli"', 400, { headers: JSON_TYPE }),
  beliCase('with a JSON null body', 'null', 400, { headers: JSON_TYPE }),
  beliCase('with a JSON number body', '1', 400, { headers: JSON_TYPE }),
  beliCase('with a __proto__ key', '{"__proto__": {"saldo": 1}, "produk_id": 1, "nomor_tujuan": "087800000001"}', 400, { headers: JSON_TYPE }),
  // produk_id
  beliCase('without produk_id', { nomor_tujuan: '087800000001' }, 400, invalid('produk_id')),
  beliCase('with produk_id "1" (a string)', { ...VALID_BELI, produk_id: '1' }, 400, invalid('produk_id')),
  beliCase('with produk_id 1.5', { ...VALID_BELI, produk_id: 1.5 }, 400, invalid('produk_id')),
  beliCase('with produk_id null', { ...VALID_BELI, produk_id: null }, 400, invalid('produk_id')),
  beliCase('with produk_id [1]', { ...VALID_BELI, produk_id: [1] }, 400, invalid('produk_id')),
  beliCase('with produk_id {}', { ...VALID_BELI, produk_id: {} }, 400, invalid('produk_id')),
  beliCase('with produk_id true', { ...VALID_BELI, produk_id: true }, 400, invalid('produk_id')),
  beliCase('with produk_id 0', { ...VALID_BELI, produk_id: 0 }, 400, invalid('produk_id')),
  beliCase('with produk_id -1', { ...VALID_BELI, produk_id: -1 }, 400, invalid('produk_id')),
  beliCase('with produk_id beyond INT', { ...VALID_BELI, produk_id: 2_147_483_648 }, 400, invalid('produk_id')),
  beliCase('with an unknown produk_id', { ...VALID_BELI, produk_id: 999 }, 422, { code: 'PRODUK_NOT_FOUND' }),
  // nomor_tujuan
  beliCase('without nomor_tujuan', { produk_id: 1 }, 400, invalid('nomor_tujuan')),
  beliCase('with nomor_tujuan as a number', { ...VALID_BELI, nomor_tujuan: 87800000001 }, 400, invalid('nomor_tujuan')),
  beliCase('with nomor_tujuan null', { ...VALID_BELI, nomor_tujuan: null }, 400, invalid('nomor_tujuan')),
  beliCase('with nomor_tujuan ["087800000001"]', { ...VALID_BELI, nomor_tujuan: ['087800000001'] }, 400, invalid('nomor_tujuan')),
  beliCase('with letters in nomor_tujuan', { ...VALID_BELI, nomor_tujuan: '0878abc00001' }, 400, invalid('nomor_tujuan')),
  beliCase('with dashes in nomor_tujuan', { ...VALID_BELI, nomor_tujuan: '0878-0000-0001' }, 400, invalid('nomor_tujuan')),
  beliCase('with a + in nomor_tujuan', { ...VALID_BELI, nomor_tujuan: '+6287800000001' }, 400, invalid('nomor_tujuan')),
  beliCase('with spaces around nomor_tujuan', { ...VALID_BELI, nomor_tujuan: ' 087800000001 ' }, 400, invalid('nomor_tujuan')),
  beliCase('with a 21-digit nomor_tujuan', { ...VALID_BELI, nomor_tujuan: '1'.repeat(21) }, 400, invalid('nomor_tujuan')),
  beliCase('with a 5-digit nomor_tujuan', { ...VALID_BELI, nomor_tujuan: '12345' }, 400, invalid('nomor_tujuan')),
  beliCase('with an empty nomor_tujuan', { ...VALID_BELI, nomor_tujuan: '' }, 400, invalid('nomor_tujuan')),
  // nominal
  beliCase('with nominal "10000" (a string)', { ...VALID_BELI, nominal: '10000' }, 400, invalid('nominal')),
  beliCase('with nominal 10000.5', { ...VALID_BELI, nominal: 10000.5 }, 400, invalid('nominal')),
  beliCase('with nominal 0', { ...VALID_BELI, nominal: 0 }, 400, invalid('nominal')),
  beliCase('with nominal null', { ...VALID_BELI, nominal: null }, 400, invalid('nominal')),
  beliCase('with a nominal that does not match the product', { ...VALID_BELI, nominal: 20_000 }, 422, { code: 'NOMINAL_MISMATCH' }),
  // ref_id
  beliCase('with a space in ref_id', { ...VALID_BELI, ref_id: 'inv 1' }, 400, invalid('ref_id')),
  beliCase('with a slash in ref_id', { ...VALID_BELI, ref_id: 'inv/1' }, 400, invalid('ref_id')),
  beliCase('with a quote in ref_id', { ...VALID_BELI, ref_id: "inv'1" }, 400, invalid('ref_id')),
  beliCase('with non-ASCII in ref_id', { ...VALID_BELI, ref_id: 'invü1' }, 400, invalid('ref_id')),
  beliCase('with an empty ref_id', { ...VALID_BELI, ref_id: '' }, 400, invalid('ref_id')),
  beliCase('with a 65-character ref_id', { ...VALID_BELI, ref_id: 'r'.repeat(65) }, 400, invalid('ref_id')),
  beliCase('with ref_id as a number', { ...VALID_BELI, ref_id: 123 }, 400, invalid('ref_id')),
  beliCase('with ref_id null', { ...VALID_BELI, ref_id: null }, 400, invalid('ref_id')),
  // Fields the client does not get to set.
  beliCase('with an unknown extra field', { ...VALID_BELI, foo: 'bar' }, 400, invalid('foo')),
  beliCase('with a harga of its own', { ...VALID_BELI, harga: 1 }, 400, invalid('harga')),
  beliCase('with a user_id of its own', { ...VALID_BELI, user_id: 1 }, 400, invalid('user_id')),

  // POST /register
  registerCase('with malformed JSON', '{"nama": "X", "email": ', 400, { headers: JSON_TYPE }),
  registerCase('with an empty body and content-type json', '', 400, { headers: JSON_TYPE }),
  registerCase('with a text/plain body', () => JSON.stringify({ nama: 'Teks', email: email() }), [400, 415], {
    headers: { 'content-type': 'text/plain' },
  }),
  registerCase('with a form-urlencoded body', () => `nama=Formulir&email=${encodeURIComponent(email())}`, [400, 415], {
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  }),
  registerCase('with a body over 16 KiB', () => JSON.stringify({ nama: 'Besar', email: email() }) + PADDING, 413, {
    headers: JSON_TYPE,
    code: 'PAYLOAD_TOO_LARGE',
  }),
  registerCase('with a JSON array body', () => [{ nama: 'Larik', email: email() }], 400),
  registerCase('with a JSON string body', '"register"', 400, { headers: JSON_TYPE }),
  registerCase('without nama', () => ({ email: email() }), 400, invalid('nama')),
  registerCase('with nama as a number', () => ({ nama: 42, email: email() }), 400, invalid('nama')),
  registerCase('with an empty nama', () => ({ nama: '', email: email() }), 400, invalid('nama')),
  registerCase('with a blank nama', () => ({ nama: '   ', email: email() }), 400, invalid('nama')),
  registerCase('with a 101-character nama', () => ({ nama: 'n'.repeat(101), email: email() }), 400, invalid('nama')),
  registerCase('without email', { nama: 'Tanpa Email' }, 400, invalid('email')),
  registerCase('with an invalid email', { nama: 'X', email: 'bukan-email' }, 400, invalid('email')),
  registerCase('with email as an array', () => ({ nama: 'X', email: [email()] }), 400, invalid('email')),
  registerCase('with a 192-character email', { nama: 'X', email: `${'e'.repeat(180)}@example.com` }, 400, invalid('email')),
  registerCase('with letters in hp', () => ({ nama: 'X', email: email(), hp: '0812abc' }), 400, invalid('hp')),
  registerCase('with hp as a number', () => ({ nama: 'X', email: email(), hp: 81234567890 }), 400, invalid('hp')),
  registerCase('with a 5-digit hp', () => ({ nama: 'X', email: email(), hp: '12345' }), 400, invalid('hp')),
  registerCase('with a 21-character hp (+ and 20 digits)', () => ({ nama: 'X', email: email(), hp: `+${'6'.repeat(20)}` }), 400, invalid('hp')),
  registerCase('with saldo "1000" (a string)', () => ({ nama: 'X', email: email(), saldo: '1000' }), 400, invalid('saldo')),
  registerCase('with saldo 1.5', () => ({ nama: 'X', email: email(), saldo: 1.5 }), 400, invalid('saldo')),
  registerCase('with saldo null', () => ({ nama: 'X', email: email(), saldo: null }), 400, invalid('saldo')),
  registerCase('with a negative saldo', () => ({ nama: 'X', email: email(), saldo: -1 }), 400, invalid('saldo')),
  registerCase('with an absurd saldo', () => ({ nama: 'X', email: email(), saldo: 1e13 }), 400, invalid('saldo')),
  registerCase('with an api_key of its own', () => ({ nama: 'X', email: email(), api_key: 'a'.repeat(64) }), 400, invalid('api_key')),
  registerCase('with an unknown extra field', () => ({ nama: 'X', email: email(), role: 'admin' }), 400, invalid('role')),
];

describe.each(ENGINES)('bad input on %s', (engine) => {
  describeFor(engine)(engine, () => {
    let t: TestApp;
    let buyer: TestUser;

    beforeAll(async () => {
      t = await startTestApp(engine);
      buyer = await registerUser(t.app, { saldo: 1_000_000 });
    });
    afterAll(async () => {
      await t?.close();
    });

    it.each(CASES)('$name: answers 4xx with code and detail and writes nothing', async (badCase) => {
      const before = await countRows(t.dataSource);
      const saldoBefore = await saldoOf(t.app, buyer.apiKey);

      const body = typeof badCase.body === 'function' ? (badCase.body as () => unknown)() : badCase.body;
      const headers: Record<string, string> = { ...(badCase.headers ?? {}) };
      if (badCase.url === '/beli') headers['x-api-key'] = buyer.apiKey;
      const res = await t.app.inject({
        method: 'POST',
        url: badCase.url,
        headers,
        payload: body as string | Record<string, unknown>,
      });

      const allowed = Array.isArray(badCase.status) ? badCase.status : [badCase.status];
      // Status and body together, so a failure shows what the server answered.
      expect(`${res.statusCode} ${res.body}`).toMatch(new RegExp(`^(${allowed.join('|')}) `));
      const json = res.json();
      expect(json.statusCode).toBe(res.statusCode);
      expect(typeof json.code).toBe('string');
      expect(json.code.length).toBeGreaterThan(0);
      expect(typeof json.detail).toBe('string');
      expect(json.detail.trim().length).toBeGreaterThan(0);
      expect(res.body).not.toMatch(/\bat .+\.(ts|js):\d+/); // never a stack trace
      if (badCase.code) expect(json.code).toBe(badCase.code);
      if (badCase.field) {
        expect(json.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field: badCase.field, message: expect.any(String) })]));
      }

      expect(await countRows(t.dataSource)).toEqual(before);
      expect(await saldoOf(t.app, buyer.apiKey)).toBe(saldoBefore);
    });

    it('still accepts a valid purchase and a valid registration afterwards (the cases were refused on their merits)', async () => {
      const ok = await t.app.inject({ method: 'POST', url: '/beli', headers: { 'x-api-key': buyer.apiKey }, payload: VALID_BELI });
      expect(ok.statusCode).toBe(200);
      const reg = await t.app.inject({ method: 'POST', url: '/register', payload: { nama: 'Baik', email: email() } });
      expect(reg.statusCode).toBe(200);
    });
  });
});
