import type { DataSource } from 'typeorm';
import { TEST_ENCRYPTION_KEY } from './support/test-app';
import { AppProcess, assertBuilt, httpJson, mapLimit, openCheckDataSource, sleep, startInstance, startInstances, StartOptions, useInstanceCleanup, waitUntilSettled } from './support/instances';
import { createTestDatabase, describeFor, TestDatabase } from './support/test-db';
import { WebhookReceiver } from './support/webhook-receiver';

jest.setTimeout(60_000);

/**
 * An instance is killed with SIGKILL while its callback requests are in flight (the receiver
 * holds them open). Its events stay `sending` until their lease runs out; then the two other
 * instances, racing for them, send each one again with the same webhook-id. Every final purchase
 * ends with exactly one distinct event at the receiver, and no attempt is sent twice.
 */
const PURCHASES = 30;

describeFor('mysql')('an instance killed with SIGKILL mid-delivery of callbacks', () => {
  useInstanceCleanup();
  const receiver = new WebhookReceiver();
  let db: TestDatabase | undefined;
  let ds: DataSource | undefined;
  let a: AppProcess | undefined;
  let others: AppProcess[] = [];
  let apiKey = '';
  const heldIds = new Set<string>();

  const options = (name: string): StartOptions => ({
    name,
    env: {
      NODE_ENV: 'test',
      ALLOW_REGISTER_SALDO: 'true',
      DATABASE_URL: db!.url,
      DATABASE_POOL_SIZE: '8',
      LOG_LEVEL: 'warn',
      PPOB_SIM_DELAY_MS: '0',
      PPOB_SIM_SUCCESS_RATE: '0.7',
      PROCESSOR_INTERVAL_MS: '100',
      APP_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
      CALLBACK_ALLOW_PRIVATE: 'true',
      // The lease is 2 x timeout + 1 s: short enough for a spec, long enough for a loaded box.
      CALLBACK_TIMEOUT_MS: '5000',
      CALLBACK_INTERVAL_MS: '100',
      CALLBACK_RETRY_SCHEDULE: '1s,1s,1s',
    },
  });

  beforeAll(async () => {
    assertBuilt();
    await receiver.start();
    db = await createTestDatabase('mysql');
    a = await startInstance(options('mp-cb-a'));
    ds = await openCheckDataSource(db.url);
    const reg = await httpJson(a.baseUrl, 'POST', '/register', { body: { nama: 'Reseller cb', email: 'mp-cb@example.com', saldo: 5_000_000 } });
    apiKey = reg.json.api_key;
    const put = await fetch(`${a.baseUrl}/callback`, {
      method: 'PUT',
      headers: { 'x-api-key': apiKey, 'content-type': 'application/json' },
      body: JSON.stringify({ url: `${receiver.baseUrl}/hook` }),
    });
    expect(put.status).toBe(200);
    receiver.secrets = [((await put.json()) as { secret: string }).secret];
  }, 120_000);

  afterAll(async () => {
    await ds?.destroy().catch(() => undefined);
    await Promise.all([a, ...others].map((p) => p?.kill('SIGKILL').catch(() => undefined)));
    await db?.drop();
    await receiver.stop();
  }, 60_000);

  it('kills A while every one of its callbacks is held open by the receiver', async () => {
    receiver.respond = () => undefined; // never answers: A's requests stay in flight
    const results = await mapLimit(Array.from({ length: PURCHASES }, (_, i) => i), 8, (i) =>
      httpJson(a!.baseUrl, 'POST', '/beli', { apiKey, body: { produk_id: 1, nomor_tujuan: i % 3 === 0 ? '087800000002' : `0813${String(i).padStart(8, '0')}` } }),
    );
    expect(results.filter((r) => r.status !== 200)).toEqual([]);
    expect(await waitUntilSettled(ds!, 30_000)).toBe(0);
    const deadline = Date.now() + 20_000;
    while (receiver.received.length < PURCHASES && Date.now() < deadline) await sleep(20);
    expect(receiver.received).toHaveLength(PURCHASES);
    for (const r of receiver.received) heldIds.add(String(r.headers['webhook-id']));
    const [{ n }] = await ds!.query("SELECT COUNT(*) AS n FROM callback_event WHERE status = 'sending' AND locked_by = 'mp-cb-a'");
    expect(Number(n)).toBe(PURCHASES);
    expect(await a!.kill('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
  }, 60_000);

  it('two other instances deliver every event again, with the same webhook-id, once each', async () => {
    receiver.respond = (_req, _body, res) => res.writeHead(204).end();
    const before = receiver.received.length;
    others = await startInstances(2, (i) => options(`mp-cb-${i === 0 ? 'b' : 'c'}`));
    const deadline = Date.now() + 45_000;
    for (;;) {
      const [{ n }] = await ds!.query("SELECT COUNT(*) AS n FROM callback_event WHERE status <> 'sukses'");
      if (Number(n) === 0) break;
      if (Date.now() > deadline) throw new Error(`${n} events not delivered\n${others.map((p) => p.diagnostics(20)).join('\n')}`);
      await sleep(200);
    }
    const redelivered = receiver.received.slice(before);
    const ids = redelivered.map((r) => String(r.headers['webhook-id']));
    // Each event once more, no attempt sent by both survivors.
    expect(ids).toHaveLength(PURCHASES);
    expect(new Set(ids)).toEqual(heldIds);
    expect(redelivered.every((r) => r.verifiedBy.length === 1)).toBe(true);

    const [{ finals }] = await ds!.query("SELECT COUNT(*) AS finals FROM transaksi WHERE status IN ('sukses', 'gagal')");
    expect(new Set(receiver.received.map((r) => r.headers['webhook-id'])).size).toBe(Number(finals));
    const events: Array<{ transaksi_id: string; type: string }> = await ds!.query('SELECT transaksi_id, type FROM callback_event');
    const trx: Array<{ id: string; status: string }> = await ds!.query('SELECT id, status FROM transaksi');
    expect(new Map(events.map((e) => [Number(e.transaksi_id), e.type]))).toEqual(new Map(trx.map((t) => [Number(t.id), `transaksi.${t.status}`])));
    const doubled = await ds!.query('SELECT event_id, attempt, COUNT(*) AS n FROM callback_attempt GROUP BY event_id, attempt HAVING COUNT(*) > 1');
    expect(doubled).toEqual([]);
    const instances: Array<{ instance_id: string }> = await ds!.query('SELECT DISTINCT instance_id FROM callback_attempt');
    expect(instances.map((r) => r.instance_id).every((id) => id === 'mp-cb-b' || id === 'mp-cb-c')).toBe(true);
  }, 60_000);
});
