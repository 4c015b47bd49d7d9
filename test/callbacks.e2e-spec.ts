import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { beli, get, registerUser, TestUser, waitFor } from './support/factories';
import { describeEachEngine, TestApp } from './support/test-app';
import { WebhookReceiver } from './support/webhook-receiver';

const SUKSES = '087800000001';
const GAGAL = '087800000002';

jest.setTimeout(60_000);

function put(app: NestFastifyApplication, apiKey: string, url: string) {
  return app.inject({ method: 'PUT', url: '/callback', headers: { 'x-api-key': apiKey }, payload: { url } });
}

function post(app: NestFastifyApplication, apiKey: string, url: string) {
  return app.inject({ method: 'POST', url, headers: { 'x-api-key': apiKey } });
}

async function buy(app: NestFastifyApplication, user: TestUser, body: Record<string, unknown>): Promise<number> {
  const res = await beli(app, user.apiKey, body);
  if (res.statusCode !== 200) throw new Error(`beli failed: ${res.statusCode} ${res.body}`);
  return res.json().id;
}

interface Delivery {
  id: number;
  webhook_id: string;
  type: string;
  transaksi_id: number;
  status: string;
  attempts: number;
  next_attempt_at: string;
  attempt_log: Array<{ attempt: number; status_code: number | null; duration_ms: number; response_body: string | null; error: string | null; waktu: string }>;
}

async function deliveries(app: NestFastifyApplication, user: TestUser, query = ''): Promise<Delivery[]> {
  const res = await get(app, user.apiKey, `/callback/deliveries${query}`);
  if (res.statusCode !== 200) throw new Error(`deliveries failed: ${res.statusCode} ${res.body}`);
  return res.json();
}

function deliveryOf(app: NestFastifyApplication, user: TestUser, trxId: number, until: (d: Delivery) => boolean, what: string): Promise<Delivery> {
  return waitFor(async () => {
    const [d] = await deliveries(app, user, `?transaksi_id=${trxId}`);
    return d && until(d) ? d : undefined;
  }, 20_000, what);
}

describeEachEngine('signed callbacks', (t: TestApp) => {
  const receiver = new WebhookReceiver();
  beforeAll(() => receiver.start());
  afterAll(() => receiver.stop());
  beforeEach(() => {
    receiver.respond = (_req, _body, res) => res.writeHead(204).end();
  });

  /** A reseller with an endpoint on the receiver; its secret is the receiver's first. */
  async function reseller(path = '/hook'): Promise<{ user: TestUser; secret: string }> {
    const user = await registerUser(t.app);
    const res = await put(t.app, user.apiKey, `${receiver.baseUrl}${path}`);
    expect(res.statusCode).toBe(200);
    return { user, secret: res.json().secret };
  }

  it('PUT /callback answers the url and a whsec_ secret once; GET shows the url only', async () => {
    const user = await registerUser(t.app);
    const res = await put(t.app, user.apiKey, `${receiver.baseUrl}/a`);
    expect(res.statusCode).toBe(200);
    expect(res.json().url).toBe(`${receiver.baseUrl}/a`);
    expect(res.json().secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(res.json().secret.slice(6), 'base64')).toHaveLength(32);
    const shown = await get(t.app, user.apiKey, '/callback');
    expect(shown.statusCode).toBe(200);
    expect(shown.json()).toEqual({ url: `${receiver.baseUrl}/a` });
    // At rest the secret is encrypted: the database never holds it in the clear.
    const [row] = await t.dataSource.query('SELECT secret_enc FROM callback_endpoint');
    expect(row.secret_enc).not.toContain(res.json().secret.slice(6));
    expect(row.secret_enc).toMatch(/^v1\./);
  });

  it('concurrent first PUT /callback calls all succeed, leaving one endpoint whose secret is one of those answered', async () => {
    const user = await registerUser(t.app);
    const answers = await Promise.all(Array.from({ length: 6 }, (_, i) => put(t.app, user.apiKey, `${receiver.baseUrl}/race${i}`)));
    expect(answers.map((a) => a.statusCode)).toEqual([200, 200, 200, 200, 200, 200]);
    const shown = await get(t.app, user.apiKey, '/callback');
    expect(answers.map((a) => a.json().url)).toContain(shown.json().url);
  });

  it('DELETE /callback removes it; then GET and rotate are 404', async () => {
    const user = await registerUser(t.app);
    await put(t.app, user.apiKey, `${receiver.baseUrl}/a`);
    expect((await t.app.inject({ method: 'DELETE', url: '/callback', headers: { 'x-api-key': user.apiKey } })).statusCode).toBe(204);
    const after = await get(t.app, user.apiKey, '/callback');
    expect(after.statusCode).toBe(404);
    expect(after.json().code).toBe('CALLBACK_NOT_SET');
    expect((await post(t.app, user.apiKey, '/callback/rotate-secret')).statusCode).toBe(404);
  });

  it('sends exactly one signed event per final status, with the /status body plus saldo', async () => {
    const { user, secret } = await reseller('/final');
    receiver.secrets = [secret];
    const ok = await buy(t.app, user, { nomor_tujuan: SUKSES });
    const fail = await buy(t.app, user, { nomor_tujuan: GAGAL });
    const got = await waitFor(async () => {
      const mine = receiver.received.filter((r) => r.path === '/final');
      return mine.length >= 2 ? mine : undefined;
    }, 20_000, 'two callbacks');
    const byTrx = new Map(got.map((r) => [r.json.data.id, r]));
    const sukses = byTrx.get(ok)!;
    const gagal = byTrx.get(fail)!;
    expect(sukses.json.type).toBe('transaksi.sukses');
    expect(gagal.json.type).toBe('transaksi.gagal');
    for (const r of [sukses, gagal]) {
      expect(r.verifiedBy).toEqual([0]);
      expect(r.headers['content-type']).toBe('application/json');
      expect(r.headers['user-agent']).toMatch(/^ppob-api\/\d+\.\d+\.\d+$/);
      expect(r.headers['webhook-id']).toMatch(/^msg_/);
      expect(new Date(r.json.timestamp).toISOString()).toBe(r.json.timestamp);
      const status = (await get(t.app, user.apiKey, `/status/${r.json.data.id}`)).json();
      const { saldo, ...rest } = r.json.data;
      expect(rest).toEqual(status);
      expect(typeof saldo).toBe('number');
    }
    // gagal refunded in the same transaction: the event's saldo already includes the refund.
    expect(gagal.json.data.saldo).toBe((await get(t.app, user.apiKey, '/saldo')).json().saldo);
    const [{ n }] = await t.dataSource.query('SELECT COUNT(*) AS n FROM callback_event WHERE user_id = (SELECT id FROM users WHERE email = ?)', [user.email]);
    expect(Number(n)).toBe(2);
  });

  it('a purchase of a reseller without an endpoint creates no event', async () => {
    const user = await registerUser(t.app);
    const id = await buy(t.app, user, { nomor_tujuan: SUKSES });
    await waitFor(async () => ((await get(t.app, user.apiKey, `/status/${id}`)).json().status === 'sukses' ? true : undefined));
    const [{ n }] = await t.dataSource.query('SELECT COUNT(*) AS n FROM callback_event WHERE transaksi_id = ?', [id]);
    expect(Number(n)).toBe(0);
  });

  it('after rotate-secret both secrets sign for 24 h: receivers on either secret verify', async () => {
    const { user, secret: oldSecret } = await reseller('/rotate');
    const rotated = await post(t.app, user.apiKey, '/callback/rotate-secret');
    expect(rotated.statusCode).toBe(200);
    const newSecret = rotated.json().secret;
    expect(newSecret).not.toBe(oldSecret);
    const until = Date.parse(rotated.json().previous_secret_valid_until);
    expect(until - Date.now()).toBeGreaterThan(23 * 3_600_000);
    receiver.secrets = [oldSecret, newSecret, 'whsec_' + Buffer.alloc(32, 1).toString('base64')];
    const id = await buy(t.app, user, { nomor_tujuan: SUKSES });
    const got = await waitFor(async () => receiver.received.find((r) => r.path === '/rotate' && r.json.data.id === id), 20_000, 'the callback');
    expect(String(got.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(got.verifiedBy).toEqual([0, 1]);

    // Once the overlap is over, only the new secret signs.
    await t.dataSource.query("UPDATE callback_endpoint SET old_secret_until = '2000-01-01 00:00:00.000'");
    const later = await buy(t.app, user, { nomor_tujuan: SUKSES });
    const second = await waitFor(async () => receiver.received.find((r) => r.path === '/rotate' && r.json.data.id === later), 20_000, 'the second callback');
    expect(second.verifiedBy).toEqual([1]);
  });

  it('retries a failed attempt with the same webhook-id and records each attempt', async () => {
    const { user, secret } = await reseller('/flaky');
    receiver.secrets = [secret];
    let calls = 0;
    receiver.respond = (_req, _body, res) => {
      calls++;
      if (calls === 1) res.writeHead(500).end('busy');
      else res.writeHead(200).end('ok');
    };
    const id = await buy(t.app, user, { nomor_tujuan: SUKSES });
    const d = await deliveryOf(t.app, user, id, (x) => x.status === 'sukses', 'the retried delivery');
    expect(d.attempts).toBe(2);
    expect(d.attempt_log.map((a) => a.status_code)).toEqual([500, 200]);
    expect(d.attempt_log.map((a) => a.response_body)).toEqual(['busy', 'ok']);
    const seen = receiver.received.filter((r) => r.path === '/flaky');
    expect(seen).toHaveLength(2);
    expect(new Set(seen.map((r) => r.headers['webhook-id'])).size).toBe(1);
    expect(seen[0].headers['webhook-id']).toBe(d.webhook_id);
    expect(seen.every((r) => r.verifiedBy.length === 1)).toBe(true);
  });

  it('410 stops retries at once', async () => {
    const { user } = await reseller('/gone');
    receiver.respond = (_req, _body, res) => res.writeHead(410).end();
    const id = await buy(t.app, user, { nomor_tujuan: SUKSES });
    const d = await deliveryOf(t.app, user, id, (x) => x.status === 'gagal', 'the delivery to fail');
    expect(d.attempts).toBe(1);
    expect(d.attempt_log.map((a) => a.status_code)).toEqual([410]);
  });

  it('honours Retry-After on 503 instead of the schedule', async () => {
    const { user } = await reseller('/later');
    receiver.respond = (_req, _body, res) => res.writeHead(503, { 'retry-after': '120' }).end();
    const id = await buy(t.app, user, { nomor_tujuan: SUKSES });
    const d = await deliveryOf(t.app, user, id, (x) => x.status === 'pending' && x.attempts === 1, 'the first attempt');
    // The schedule's first step is 200 ms here; Retry-After asks for two minutes.
    const waited = Date.parse(d.next_attempt_at) - Date.parse(d.attempt_log[0].waktu);
    expect(waited).toBeGreaterThan(100_000);
  });

  it('does not follow a redirect: a 3xx is a failed attempt and its Location is never called', async () => {
    const { user } = await reseller('/moved');
    receiver.respond = (req, _body, res) => {
      if (req.url === '/moved') res.writeHead(302, { location: `${receiver.baseUrl}/elsewhere` }).end();
      else res.writeHead(204).end();
    };
    const id = await buy(t.app, user, { nomor_tujuan: SUKSES });
    const d = await deliveryOf(t.app, user, id, (x) => x.attempt_log.length >= 1, 'the first attempt');
    expect(d.attempt_log[0].status_code).toBe(302);
    expect(d.status).not.toBe('sukses');
    expect(receiver.received.filter((r) => r.path === '/elsewhere')).toHaveLength(0);
  });

  it('stores at most 4 KiB of a large answer, with status and duration', async () => {
    const { user } = await reseller('/big');
    receiver.respond = (_req, _body, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('x'.repeat(100_000));
    const id = await buy(t.app, user, { nomor_tujuan: SUKSES });
    const d = await deliveryOf(t.app, user, id, (x) => x.status === 'sukses', 'the delivery');
    expect(d.attempt_log[0].status_code).toBe(200);
    expect(d.attempt_log[0].response_body!.length).toBe(4096);
    expect(d.attempt_log[0].duration_ms).toBeGreaterThanOrEqual(0);
  });

  it('/beli callback_url overrides the endpoint for that purchase, signed with the same secret', async () => {
    const { user, secret } = await reseller('/default');
    receiver.secrets = [secret];
    const id = await buy(t.app, user, { nomor_tujuan: SUKSES, callback_url: `${receiver.baseUrl}/this-one` });
    const got = await waitFor(async () => receiver.received.find((r) => r.json.data?.id === id), 20_000, 'the callback');
    expect(got.path).toBe('/this-one');
    expect(got.verifiedBy).toEqual([0]);
  });

  it('/beli callback_url is validated like the endpoint and writes nothing when refused', async () => {
    const { user } = await reseller('/x');
    const [{ n: before }] = await t.dataSource.query('SELECT COUNT(*) AS n FROM transaksi');
    for (const callback_url of ['ftp://example.com/x', 'http://user:pw@127.0.0.1/x', 'not a url', 42]) {
      const res = await beli(t.app, user.apiKey, { nomor_tujuan: SUKSES, callback_url });
      expect(res.statusCode).toBe(400);
      expect(res.json().detail).toBeTruthy();
    }
    const [{ n: after }] = await t.dataSource.query('SELECT COUNT(*) AS n FROM transaksi');
    expect(Number(after)).toBe(Number(before));
    const noEndpoint = await registerUser(t.app);
    const res = await beli(t.app, noEndpoint.apiKey, { nomor_tujuan: SUKSES, callback_url: `${receiver.baseUrl}/x` });
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('CALLBACK_URL_INVALID');
  });

  it('lists deliveries owner-scoped with filters, and redelivers with a new attempt and the same id', async () => {
    const { user } = await reseller('/list');
    const other = await registerUser(t.app);
    const id = await buy(t.app, user, { nomor_tujuan: SUKSES });
    const d = await deliveryOf(t.app, user, id, (x) => x.status === 'sukses', 'the delivery');
    expect(await deliveries(t.app, other)).toEqual([]);
    expect(await deliveries(t.app, user, '?status=gagal&transaksi_id=' + id)).toEqual([]);
    const foreign = await post(t.app, other.apiKey, `/callback/deliveries/${d.id}/redeliver`);
    expect(foreign.statusCode).toBe(404);
    expect(foreign.json().code).toBe('DELIVERY_NOT_FOUND');
    const again = await post(t.app, user.apiKey, `/callback/deliveries/${d.id}/redeliver`);
    expect(again.statusCode).toBe(202);
    const after = await deliveryOf(t.app, user, id, (x) => x.status === 'sukses' && x.attempts === 2, 'the redelivery');
    expect(after.attempt_log).toHaveLength(2);
    const seen = receiver.received.filter((r) => r.path === '/list');
    expect(seen.map((r) => r.headers['webhook-id'])).toEqual([d.webhook_id, d.webhook_id]);
    for (const bad of ['?status=nope', '?transaksi_id=abc', '?limit=0']) {
      expect((await get(t.app, user.apiKey, `/callback/deliveries${bad}`)).statusCode).toBe(400);
    }
  });

  it('refuses bad PUT /callback bodies with 400', async () => {
    const user = await registerUser(t.app);
    for (const payload of [{}, { url: 42 }, { url: '' }, { url: 'x'.repeat(3000) }]) {
      const res = await t.app.inject({ method: 'PUT', url: '/callback', headers: { 'x-api-key': user.apiKey }, payload });
      expect(res.statusCode).toBe(400);
    }
    expect((await get(t.app, user.apiKey, '/callback')).statusCode).toBe(404);
  });

  it('refuses with 400 a URL that is short as sent but longer than 2048 characters once normalised (percent-encoded)', async () => {
    const { user } = await reseller('/ok');
    const long = `${receiver.baseUrl}/${'\u00e9'.repeat(1000)}`;
    expect(long.length).toBeLessThan(2048);
    const res = await put(t.app, user.apiKey, long);
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('CALLBACK_URL_INVALID');
    expect((await get(t.app, user.apiKey, '/callback')).json().url).toBe(`${receiver.baseUrl}/ok`);
    const buy = await beli(t.app, user.apiKey, { produk_id: 1, nomor_tujuan: SUKSES, callback_url: long });
    expect(buy.statusCode).toBe(400);
    expect(buy.json().code).toBe('CALLBACK_URL_INVALID');
  });
}, { CALLBACK_RETRY_SCHEDULE: '200ms,200ms,200ms', CALLBACK_INTERVAL_MS: '50', CALLBACK_TIMEOUT_MS: '3000' });
