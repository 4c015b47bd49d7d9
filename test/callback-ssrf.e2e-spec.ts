import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { beli, get, registerUser, waitFor } from './support/factories';
import { describeEachEngine, TestApp } from './support/test-app';
import { WebhookReceiver } from './support/webhook-receiver';

jest.setTimeout(60_000);

function put(app: NestFastifyApplication, apiKey: string, url: string) {
  return app.inject({ method: 'PUT', url: '/callback', headers: { 'x-api-key': apiKey }, payload: { url } });
}

/**
 * IPv6 forms that reach IPv4 or internal space through a translator or tunnel, and IPv6 ranges
 * that are never a public receiver. Each is also sent as /beli's callback_url below.
 */
function IPV6_ROUTES_INWARD(): Array<[string, string]> {
  return [
    ['NAT64 local-use prefix (RFC 8215) of loopback', 'http://[64:ff9b:1::7f00:1]/hook'],
    ['NAT64 local-use prefix, another embedding', 'http://[64:ff9b:1:7f00:1::]/hook'],
    ['6to4 of loopback', 'http://[2002:7f00:1::1]/hook'],
    ['6to4 of a private address', 'http://[2002:a00:1::1]/hook'],
    ['6to4 of a public address (6to4 is refused whole)', 'http://[2002:808:808::1]/hook'],
    ['Teredo', 'http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/hook'],
    ['IPv4-translated (SIIT) loopback', 'http://[::ffff:0:127.0.0.1]/hook'],
    ['IPv4-translated (SIIT) private, hex form', 'http://[::ffff:0:a00:1]/hook'],
    ['IPv6 unique local fc00::/7, fc half', 'http://[fc12::1]/hook'],
    ['IPv6 site-local fec0::/10', 'http://[fec0::1]/hook'],
    ['IPv6 discard-only 100::/64', 'http://[100::1]/hook'],
    ['IPv6 documentation 2001:db8::/32', 'http://[2001:db8::1]/hook'],
    ['IPv6 documentation 3fff::/20', 'http://[3fff::1]/hook'],
  ];
}

/** Every form the issue names; each must be refused with 400 when private targets are not allowed. */
const REFUSED: Array<[string, string]> = [
  ['loopback', 'http://127.0.0.1/hook'],
  ['loopback, another address of 127/8', 'http://127.1.2.3:8080/hook'],
  ['localhost (resolves to loopback)', 'http://localhost/hook'],
  ['decimal IPv4', 'http://2130706433/hook'],
  ['octal IPv4', 'http://0177.0.0.1/hook'],
  ['hex IPv4', 'http://0x7f000001/hook'],
  ['short IPv4', 'http://127.1/hook'],
  ['private 10/8', 'http://10.0.0.5/hook'],
  ['private 172.16/12', 'http://172.20.1.1/hook'],
  ['private 192.168/16', 'https://192.168.1.10/hook'],
  ['link-local (cloud metadata)', 'http://169.254.169.254/latest/meta-data'],
  ['CGNAT 100.64/10', 'http://100.100.1.1/hook'],
  ['multicast', 'http://224.0.0.1/hook'],
  ['unspecified', 'http://0.0.0.0/hook'],
  ['IPv6 loopback', 'http://[::1]/hook'],
  ['IPv6 unspecified', 'http://[::]/hook'],
  ['IPv4-mapped IPv6 loopback', 'http://[::ffff:127.0.0.1]/hook'],
  ['IPv4-mapped IPv6 private, hex form', 'http://[::ffff:a00:1]/hook'],
  ['IPv6 unique local', 'http://[fd00::1]/hook'],
  ['IPv6 link-local', 'http://[fe80::1]/hook'],
  ['IPv6 multicast', 'http://[ff02::1]/hook'],
  ['NAT64 of loopback', 'http://[64:ff9b::7f00:1]/hook'],
  ...IPV6_ROUTES_INWARD(),
  ['not http(s)', 'ftp://203.0.113.10/hook'],
  ['file URL', 'file:///etc/passwd'],
  ['userinfo', 'http://user:secret@203.0.113.10/hook'],
  ['user name only', 'https://user@203.0.113.10/hook'],
  ['not a URL', 'definitely not a url'],
];

describeEachEngine('callback SSRF rules (CALLBACK_ALLOW_PRIVATE=false)', (t: TestApp) => {
  it.each(REFUSED)('refuses %s with 400 and saves nothing', async (_what, url) => {
    const user = await registerUser(t.app);
    const res = await put(t.app, user.apiKey, url);
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toMatch(/CALLBACK_URL_INVALID|VALIDATION_FAILED/);
    expect(res.json().detail).toBeTruthy();
    expect((await get(t.app, user.apiKey, '/callback')).statusCode).toBe(404);
  });

  it.each(IPV6_ROUTES_INWARD())('refuses %s as /beli callback_url with 400 and buys nothing', async (_what, url) => {
    const user = await registerUser(t.app);
    expect((await put(t.app, user.apiKey, 'http://203.0.113.10/hook')).statusCode).toBe(200);
    const res = await beli(t.app, user.apiKey, { nomor_tujuan: '087800000001', callback_url: url });
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('CALLBACK_URL_INVALID');
    expect(res.json().detail).toMatch(/only public addresses are allowed/);
    expect((await get(t.app, user.apiKey, '/riwayat')).json()).toHaveLength(0);
  });

  it('accepts a public address, on any port', async () => {
    const user = await registerUser(t.app);
    const res = await put(t.app, user.apiKey, 'http://203.0.113.10:8443/hook?x=1');
    expect(res.statusCode).toBe(200);
    expect(res.json().url).toBe('http://203.0.113.10:8443/hook?x=1');
  });

  it('checks again at dial time: an endpoint that now points at a private address is not called', async () => {
    const receiver = await new WebhookReceiver().start();
    try {
      const user = await registerUser(t.app);
      expect((await put(t.app, user.apiKey, 'http://203.0.113.10/hook')).statusCode).toBe(200);
      // As if the saved name now resolved to this machine: the row points at loopback.
      await t.dataSource.query('UPDATE callback_endpoint SET url = ?', [`${receiver.baseUrl}/hook`]);
      const res = await beli(t.app, user.apiKey, { nomor_tujuan: '087800000001' });
      const id = res.json().id;
      const d = await waitFor(async () => {
        const [row] = (await get(t.app, user.apiKey, `/callback/deliveries?transaksi_id=${id}`)).json();
        return row && row.attempt_log.length > 0 ? row : undefined;
      }, 20_000, 'the refused attempt');
      expect(d.attempt_log[0].status_code).toBeNull();
      expect(d.attempt_log[0].error).toMatch(/loopback/);
      expect(receiver.received).toHaveLength(0);
    } finally {
      await receiver.stop();
    }
  });
}, { CALLBACK_ALLOW_PRIVATE: 'false', CALLBACK_RETRY_SCHEDULE: '10h', CALLBACK_INTERVAL_MS: '50' });
