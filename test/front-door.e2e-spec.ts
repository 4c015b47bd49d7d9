import { countRows, get, register, registerUser } from './support/factories';
import { describeEachEngine, TestApp } from './support/test-app';

/**
 * What a newcomer meets first: the messages of the common mistakes, the original FastAPI
 * service's client habits (empty hp, the key-rotation text), and the hp and email rules, which
 * must be the same on both engines.
 */

const JSON_TYPE = { 'content-type': 'application/json' };

async function userRow(t: TestApp, email: string): Promise<{ email: string; hp: string | null } | undefined> {
  const [row] = await t.dataSource.query('SELECT email, hp FROM users WHERE email = ?', [email]);
  return row;
}

let sequence = 0;
function freshEmail(): string {
  sequence += 1;
  return `front-door-${sequence}@example.com`;
}

describeEachEngine('the front door: messages for the first mistakes', (t) => {
  it('answers a non-JSON body with 415 saying to send Content-Type: application/json', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/register', headers: { 'content-type': 'text/plain' }, payload: '{"nama":"X"}' });
    expect(res.statusCode).toBe(415);
    expect(res.json()).toEqual({ statusCode: 415, code: 'UNSUPPORTED_MEDIA_TYPE', detail: expect.stringContaining('Content-Type: application/json') });
  });

  it('answers a body over the limit with 413 naming the limit', async () => {
    const payload = JSON.stringify({ nama: 'Besar', email: freshEmail(), pad: ' '.repeat(17_000) });
    const res = await t.app.inject({ method: 'POST', url: '/register', headers: JSON_TYPE, payload });
    expect(res.statusCode).toBe(413);
    expect(res.json()).toEqual({ statusCode: 413, code: 'PAYLOAD_TOO_LARGE', detail: expect.stringContaining('16384') });
  });

  it('answers a JSON array body with "must be a JSON object", not "property 0 should not exist"', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/register', headers: JSON_TYPE, payload: JSON.stringify([{ nama: 'Larik', email: freshEmail() }]) });
    expect(res.statusCode).toBe(400);
    const body = res.json();
    expect(body).toMatchObject({ statusCode: 400, code: 'VALIDATION_FAILED' });
    expect(body.detail).toMatch(/must be a JSON object/);
    expect(res.body).not.toMatch(/property 0/);
  });

  it('says a missing field is required', async () => {
    const res = await register(t.app, { email: freshEmail() });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({
      statusCode: 400,
      code: 'VALIDATION_FAILED',
      detail: 'nama is required',
      errors: [{ field: 'nama', message: 'nama is required' }],
    });
    const user = await registerUser(t.app, { saldo: 0 });
    const beli = await t.app.inject({ method: 'POST', url: '/beli', headers: { 'x-api-key': user.apiKey }, payload: { nomor_tujuan: '087800000001' } });
    expect(beli.json()).toMatchObject({ statusCode: 400, detail: 'produk_id is required' });
  });

  it.each([
    ['DELETE', '/beli', 'POST'],
    ['GET', '/beli', 'POST'],
    ['POST', '/health', 'GET, HEAD'],
    ['PUT', '/status/17', 'GET, HEAD'],
  ] as const)('answers %s %s (a known path, the wrong method) with 405 and Allow: %s', async (method, url, allow) => {
    const res = await t.app.inject({ method, url });
    expect(res.statusCode).toBe(405);
    expect(res.headers.allow).toBe(allow);
    expect(res.json()).toEqual({ statusCode: 405, code: 'METHOD_NOT_ALLOWED', detail: expect.stringContaining(allow) });
  });

  it('still answers an unknown path with 404', async () => {
    const res = await t.app.inject({ method: 'DELETE', url: '/tidak-ada' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ statusCode: 404, code: 'NOT_FOUND' });
  });
});

describeEachEngine('the front door: clients of the original service', (t) => {
  it.each([
    ['an empty string', ''],
    ['null', null],
  ])('takes an hp of %s as "no phone"', async (_name, hp) => {
    const email = freshEmail();
    const res = await register(t.app, { nama: 'Tanpa HP', email, hp });
    expect(res.statusCode).toBe(200);
    expect(await userRow(t, email)).toEqual({ email, hp: null });
  });

  it('says in /generate-key that the keys were renewed', async () => {
    const user = await registerUser(t.app, { saldo: 0 });
    const res = await t.app.inject({ method: 'POST', url: '/generate-key', headers: { 'x-api-key': user.apiKey } });
    expect(res.statusCode).toBe(200);
    expect(res.json().info).toMatch(/diperbarui/);
    const registered = await register(t.app, { nama: 'Baru', email: freshEmail() });
    expect(registered.json().info).not.toMatch(/diperbarui/);
  });
});

/**
 * Issue 8: `hp` is a VARCHAR(20). "+" and 20 digits passed validation and was a 500 on MySQL
 * (SQLite does not enforce the length and stored it). The rule now: at most 20 characters.
 */
describeEachEngine('hp fits its column on every engine', (t) => {
  it('refuses "+" and 20 digits with 400 naming hp, and writes nothing', async () => {
    const before = await countRows(t.dataSource);
    const res = await register(t.app, { nama: 'Panjang', email: freshEmail(), hp: `+${'6'.repeat(20)}` });
    expect(`${res.statusCode} ${res.body}`).toMatch(/^400 /);
    expect(res.json()).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ field: 'hp', message: expect.stringMatching(/20 characters/) }] });
    expect(await countRows(t.dataSource)).toEqual(before);
  });

  it.each([`+${'6'.repeat(19)}`, '6'.repeat(20), '+628123'])('stores an hp of 20 characters or fewer as sent: %s', async (hp) => {
    const email = freshEmail();
    expect((await register(t.app, { nama: 'Pas', email, hp })).statusCode).toBe(200);
    expect(await userRow(t, email)).toEqual({ email, hp });
  });
});

/**
 * Issue 8: email uniqueness differed by engine: MySQL's utf8mb4_unicode_ci made `josé` equal
 * `jose`, SQLite did not. The rule on both: two emails are the same account exactly when they
 * are equal after trimming, Unicode NFC normalisation and lower-casing. Accents count.
 */
describeEachEngine('email uniqueness is the same on every engine', (t) => {
  it('treats jose@ and josé@ as two accounts', async () => {
    expect((await register(t.app, { nama: 'Jose', email: 'jose@example.com' })).statusCode).toBe(200);
    const res = await register(t.app, { nama: 'José', email: 'josé@example.com' });
    expect(`${res.statusCode} ${res.body}`).toMatch(/^200 /);
    expect(await userRow(t, 'josé@example.com')).toMatchObject({ email: 'josé@example.com' });
  });

  it('treats JOSÉ@ and a decomposed josé@ (e + combining accent) as the same account as josé@', async () => {
    expect((await register(t.app, { nama: 'Rene', email: 'rené@example.com' })).statusCode).toBe(200);
    for (const email of ['RENÉ@EXAMPLE.COM', 'rene\u0301@example.com']) {
      const res = await register(t.app, { nama: 'Lagi', email });
      expect({ email, status: res.statusCode, code: res.json().code }).toEqual({ email, status: 409, code: 'EMAIL_TAKEN' });
    }
  });

  it('treats straße@ and strasse@ as two accounts', async () => {
    expect((await register(t.app, { nama: 'Strasse', email: 'strasse@example.com' })).statusCode).toBe(200);
    const res = await register(t.app, { nama: 'Straße', email: 'straße@example.com' });
    expect(`${res.statusCode} ${res.body}`).toMatch(/^200 /);
  });

  it('finds the account by its normalised email with the same key', async () => {
    const email = 'zoë@example.com';
    const user = await registerUser(t.app, { email, saldo: 0 });
    expect((await get(t.app, user.apiKey, '/saldo')).statusCode).toBe(200);
    expect(await userRow(t, email)).toMatchObject({ email });
  });
});
