import { beli, registerUser, waitFor } from './support/factories';
import { signedHeaders, signedInject } from './support/signed-request';
import { TEST_ENCRYPTION_KEY, TestApp, useTestApp } from './support/test-app';
import { describeFor, ENGINES } from './support/test-db';
import { WebhookReceiver } from './support/webhook-receiver';

jest.setTimeout(60_000);

/**
 * Every flow that handles a secret, with the log at debug; then every line is searched for every
 * secret (and for the signatures the server computed or received).
 */
describe.each(ENGINES)('no secret in any log line, on %s', (engine) => {
  describeFor(engine)(engine, () => {
    const lines: string[] = [];
    const t: TestApp = useTestApp(
      engine,
      { LOG_LEVEL: 'debug', RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '2', CALLBACK_RETRY_SCHEDULE: '100ms', CALLBACK_INTERVAL_MS: '50' },
      { logDestination: { write: (line: string) => void lines.push(line) } },
    );
    const receiver = new WebhookReceiver();
    beforeAll(() => receiver.start());
    afterAll(() => receiver.stop());

    it('keeps api keys, private keys, whsec secrets, the encryption key and signatures out of the logs', async () => {
      const secrets: string[] = [TEST_ENCRYPTION_KEY];
      const user = await registerUser(t.app);
      secrets.push(user.apiKey, user.privateKey);
      const put = await t.app.inject({ method: 'PUT', url: '/callback', headers: { 'x-api-key': user.apiKey }, payload: { url: `${receiver.baseUrl}/h` } });
      secrets.push(put.json().secret);
      const rotated = await t.app.inject({ method: 'POST', url: '/callback/rotate-secret', headers: { 'x-api-key': user.apiKey } });
      secrets.push(rotated.json().secret);
      receiver.respond = (_req, _body, res) => res.writeHead(500).end('no');
      const body = JSON.stringify({ produk_id: 1, nomor_tujuan: '087800000001' });
      const signed = signedHeaders(user.privateKey, 'POST', '/beli', body);
      const ok = await t.app.inject({ method: 'POST', url: '/beli', payload: body, headers: { 'x-api-key': user.apiKey, 'content-type': 'application/json', ...signed } });
      expect(ok.statusCode).toBe(200);
      secrets.push(signed['x-signature'].slice(3));
      const bad = await signedInject(t.app, user, 'GET', '/saldo', undefined, { headers: { 'x-signature': 'v1,' + 'A'.repeat(43) + '=' } });
      expect(bad.statusCode).toBe(401);
      await beli(t.app, user.apiKey, { nomor_tujuan: '087800000002' });
      await waitFor(async () => (receiver.received.length >= 2 ? true : undefined), 20_000, 'callbacks');
      for (const r of receiver.received) for (const sig of String(r.headers['webhook-signature']).split(' ')) secrets.push(sig.slice(3));
      const keys = await t.app.inject({ method: 'POST', url: '/generate-key', headers: { 'x-api-key': user.apiKey } });
      secrets.push(keys.json().api_key, keys.json().private_key);
      // Wrong keys, until the brute-force guard answers 429.
      for (let i = 0; i < 4; i++) await t.app.inject({ method: 'GET', url: '/saldo', headers: { 'x-api-key': `${i}`.repeat(64) } });

      const log = lines.join('');
      expect(log.length).toBeGreaterThan(1000);
      for (const secret of secrets) {
        expect(secret.length).toBeGreaterThan(20);
        expect({ secret: secret.slice(0, 6), found: log.includes(secret) || log.includes(secret.replace(/^whsec_/, '')) }).toEqual({ secret: secret.slice(0, 6), found: false });
      }
    });
  });
});
