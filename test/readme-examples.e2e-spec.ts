import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './support/instances';
import { registerUser, TestUser, waitFor } from './support/factories';
import { startTestApp, TestApp } from './support/test-app';
import { describeFor } from './support/test-db';
import { WebhookReceiver } from './support/webhook-receiver';

const run = promisify(execFile);
const EXAMPLES = join(__dirname, '..', 'docs', 'examples');
const README = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');

jest.setTimeout(60_000);

/**
 * The README's signing and verifying examples (docs/examples/, shown verbatim in the README) are
 * run here against a listening server, so a change to the wire format breaks this spec, not a
 * reseller's integration.
 */
describeFor('sqlite')('README examples: signing requests and verifying callbacks', () => {
  let t: TestApp;
  let baseUrl = '';
  let user: TestUser;
  const tmp = mkdtempSync(join(tmpdir(), 'ppob-examples-'));

  beforeAll(async () => {
    t = await startTestApp('sqlite');
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    baseUrl = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
    user = await registerUser(t.app);
    // From here on, only signed requests are accepted: the examples must sign correctly.
    const put = await t.app.inject({ method: 'PUT', url: '/keamanan', headers: { 'x-api-key': user.apiKey }, payload: { wajib_signature: true } });
    expect(put.statusCode).toBe(200);
  });

  afterAll(async () => {
    await t?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  const env = () => ({ ...process.env, PPOB_URL: baseUrl, API_KEY: user.apiKey, PRIVATE_KEY: user.privateKey });

  it.each(['sign-request.js', 'sign-request.sh', 'verify-callback.js', 'verify-callback.sh'])('the README shows docs/examples/%s verbatim', (file) => {
    expect(README).toContain(readFileSync(join(EXAMPLES, file), 'utf8').trim());
  });

  it('sign-request.js (Node crypto) makes signed GET and POST requests the server accepts', async () => {
    const { stdout } = await run(process.execPath, [join(EXAMPLES, 'sign-request.js')], { env: env() });
    const [riwayat, beli] = stdout.trim().split('\n').map((line) => JSON.parse(line));
    expect(riwayat.status).toBe(200);
    expect(beli.status).toBe(200);
    expect(beli.body.status).toBe('pending');
  });

  it('sign-request.sh (openssl + curl) makes a signed POST the server accepts', async () => {
    const { stdout } = await run('sh', [join(EXAMPLES, 'sign-request.sh')], { env: env() });
    expect(JSON.parse(stdout).status).toBe('pending');
  });

  it('verify-callback.js accepts our callbacks and refuses a tampered one', async () => {
    const port = await freePort();
    const put = await t.app.inject({ method: 'PUT', url: '/callback', headers: { 'x-api-key': user.apiKey }, payload: { url: `http://127.0.0.1:${port}/hook` } });
    // PUT /callback itself must be signed now (wajib_signature): sign it like the example does.
    expect(put.statusCode).toBe(401);
    const { stdout: putOut } = await run(
      process.execPath,
      ['-e', signedPutScript(`http://127.0.0.1:${port}/hook`)],
      { env: env() },
    );
    const secret = JSON.parse(putOut).secret as string;
    const receiver = spawn(process.execPath, [join(EXAMPLES, 'verify-callback.js')], { env: { ...process.env, PORT: String(port), WEBHOOK_SECRET: secret } });
    let out = '';
    receiver.stdout.on('data', (c: Buffer) => (out += c.toString()));
    try {
      await waitFor(async () => fetch(`http://127.0.0.1:${port}/`, { method: 'POST', body: '{}' }).then((r) => r.status === 401 || undefined).catch(() => undefined), 10_000, 'the example receiver');
      await run(process.execPath, [join(EXAMPLES, 'sign-request.js')], { env: env() });
      await waitFor(async () => (/transaksi\.sukses/.test(out) ? true : undefined), 20_000, 'the example receiver to print a verified event');
      expect(out).toMatch(/^msg_\S+ transaksi\.sukses$/m);
    } finally {
      receiver.kill();
    }
  });

  it('verify-callback.sh (openssl) says valid for a real callback and invalid once the body changes', async () => {
    const receiver = await new WebhookReceiver().start();
    try {
      const other = await registerUser(t.app);
      const put = await t.app.inject({ method: 'PUT', url: '/callback', headers: { 'x-api-key': other.apiKey }, payload: { url: `${receiver.baseUrl}/sh` } });
      const secret = put.json().secret;
      await t.app.inject({ method: 'POST', url: '/beli', headers: { 'x-api-key': other.apiKey }, payload: { produk_id: 1, nomor_tujuan: '087800000001' } });
      const got = await waitFor(async () => receiver.received[0], 20_000, 'a callback');
      writeFileSync(join(tmp, 'body.json'), got.body);
      const shEnv = {
        ...process.env,
        WEBHOOK_SECRET: secret,
        WEBHOOK_ID: String(got.headers['webhook-id']),
        WEBHOOK_TIMESTAMP: String(got.headers['webhook-timestamp']),
        WEBHOOK_SIGNATURE: String(got.headers['webhook-signature']),
      };
      const ok = await run('sh', [join(EXAMPLES, 'verify-callback.sh')], { env: shEnv, cwd: tmp });
      expect(ok.stdout.trim()).toBe('valid');
      writeFileSync(join(tmp, 'body.json'), got.body.replace('sukses', 'gagal'));
      await expect(run('sh', [join(EXAMPLES, 'verify-callback.sh')], { env: shEnv, cwd: tmp })).rejects.toMatchObject({ stdout: 'invalid\n' });
    } finally {
      await receiver.stop();
    }
  });
});

/** A signed PUT /callback in the example's own style (the example file only shows GET and POST). */
function signedPutScript(url: string): string {
  const source = readFileSync(join(EXAMPLES, 'sign-request.js'), 'utf8');
  const signer = source.slice(0, source.indexOf('(async () => {'));
  return `${signer}\nsignedFetch('PUT', '/callback', { url: ${JSON.stringify(url)} }).then((r) => console.log(JSON.stringify(r.body)));`;
}
