import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { HostResolver, ResolvedAddress } from '../src/callback/host-resolver';
import { beli, get, registerUser, TestUser, waitFor } from './support/factories';
import { describeEachEngine, TestApp } from './support/test-app';
import { WebhookReceiver } from './support/webhook-receiver';

jest.setTimeout(60_000);

const LOOKUP_TIMEOUT_MS = 300;
const NEVER = () => new Promise<ResolvedAddress[]>(() => undefined);

function put(app: NestFastifyApplication, apiKey: string, url: string) {
  return app.inject({ method: 'PUT', url: '/callback', headers: { 'x-api-key': apiKey }, payload: { url } });
}

/**
 * A resolver that never answers, without real DNS: the app's HostResolver (the port every
 * callback lookup goes through) is made to answer as each test says.
 */
describeEachEngine('callback host lookups are bounded', (t: TestApp) => {
  let receiver: WebhookReceiver;
  let lookup: jest.SpyInstance<Promise<ResolvedAddress[]>, [string]>;
  const answer = (host: string) => Promise.resolve(host === 'hooks.test' ? [{ address: '127.0.0.1', family: 4 }] : []);

  beforeAll(async () => {
    receiver = await new WebhookReceiver().start();
  });
  afterAll(() => receiver.stop());
  beforeEach(() => {
    lookup = jest.spyOn(t.app.get(HostResolver), 'lookup').mockImplementation(answer);
  });
  afterEach(() => lookup.mockRestore());

  const port = () => new URL(receiver.baseUrl).port;

  async function withEndpoint(): Promise<TestUser> {
    const user = await registerUser(t.app);
    const res = await put(t.app, user.apiKey, `http://hooks.test:${port()}/hook`);
    expect(res.statusCode).toBe(200);
    return user;
  }

  async function firstAttempt(user: TestUser, transaksiId: number) {
    return waitFor(async () => {
      const [row] = (await get(t.app, user.apiKey, `/callback/deliveries?transaksi_id=${transaksiId}`)).json();
      return row && row.attempt_log.length > 0 ? row : undefined;
    }, 10_000, `the first attempt of transaksi ${transaksiId}`);
  }

  it('at dial time, a lookup that never answers is a failed attempt within CALLBACK_TIMEOUT_MS, retried on schedule, and frees its slot', async () => {
    const user = await withEndpoint();
    lookup.mockImplementation(NEVER);
    // One dispatcher slot (CALLBACK_CONCURRENCY=1): the second event is attempted only if the
    // first one's hung lookup gave the slot back.
    const ids: number[] = [];
    for (let i = 0; i < 2; i++) ids.push((await beli(t.app, user.apiKey, { nomor_tujuan: '087800000001' })).json().id);
    for (const id of ids) {
      const d = await firstAttempt(user, id);
      expect(d.status).toBe('pending');
      expect(Date.parse(d.next_attempt_at)).toBeGreaterThan(Date.now() + 3_600_000);
      expect(d.attempt_log[0]).toMatchObject({ attempt: 1, status_code: null, error: `host hooks.test did not resolve within ${LOOKUP_TIMEOUT_MS} ms; try again later` });
      expect(d.attempt_log[0].duration_ms).toBeGreaterThanOrEqual(LOOKUP_TIMEOUT_MS - 10);
      expect(d.attempt_log[0].duration_ms).toBeLessThan(LOOKUP_TIMEOUT_MS + 1_000);
    }
    expect(receiver.received.filter((r) => ids.includes(r.json?.data?.id as number))).toHaveLength(0);

    // The resolver answers again: a redelivery reaches the receiver at the address it gave.
    lookup.mockImplementation(answer);
    const [event] = (await get(t.app, user.apiKey, `/callback/deliveries?transaksi_id=${ids[0]}`)).json();
    expect((await t.app.inject({ method: 'POST', url: `/callback/deliveries/${event.id}/redeliver`, headers: { 'x-api-key': user.apiKey } })).statusCode).toBe(202);
    await waitFor(async () => receiver.received.find((r) => r.json?.data?.id === ids[0]), 10_000, 'the redelivered callback');
  });

  it('at save time, PUT /callback answers 503 CALLBACK_HOST_TIMEOUT with a detail, well before the request deadline, and saves nothing', async () => {
    const user = await registerUser(t.app);
    lookup.mockImplementation(NEVER);
    const started = Date.now();
    const res = await put(t.app, user.apiKey, `http://hooks.test:${port()}/hook`);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ statusCode: 503, code: 'CALLBACK_HOST_TIMEOUT', detail: `host hooks.test did not resolve within ${LOOKUP_TIMEOUT_MS} ms; try again later` });
    expect((await get(t.app, user.apiKey, '/callback')).statusCode).toBe(404);
  });

  it("at save time, /beli's callback_url answers 503 the same way and buys nothing", async () => {
    const user = await withEndpoint();
    lookup.mockImplementation(NEVER);
    const started = Date.now();
    const res = await beli(t.app, user.apiKey, { nomor_tujuan: '087800000001', callback_url: `http://hooks.test:${port()}/other` });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(res.statusCode).toBe(503);
    expect(res.json().code).toBe('CALLBACK_HOST_TIMEOUT');
    expect(res.json().detail).toMatch(/did not resolve within/);
    expect((await get(t.app, user.apiKey, '/riwayat')).json()).toHaveLength(0);
  });

  it('a name that resolves to nothing is still a 400, not a timeout', async () => {
    const user = await registerUser(t.app);
    const res = await put(t.app, user.apiKey, 'http://nowhere.test/hook');
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'CALLBACK_URL_INVALID', detail: 'host nowhere.test cannot be resolved' });
  });
}, {
  CALLBACK_TIMEOUT_MS: String(LOOKUP_TIMEOUT_MS),
  CALLBACK_RETRY_SCHEDULE: '10h',
  CALLBACK_INTERVAL_MS: '50',
  CALLBACK_CONCURRENCY: '1',
  // Far above the lookup's bound: without one, the PUT would hang until this answers.
  REQUEST_TIMEOUT_MS: '20000',
});
