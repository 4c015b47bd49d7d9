import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SANDBOX_NUMBERS } from '../src/ppob/sandbox-numbers';
import { assertBuilt, httpJson, sleep, startInstance, useInstanceCleanup } from './support/instances';

jest.setTimeout(90_000);

/**
 * test/run.js may run this suite under a Node 24 it fetched, with a better-sqlite3 build of its
 * own for that Node. The machine's Node, which `npm start` uses, must keep a working SQLite:
 * a rebuild of node_modules' better-sqlite3 for the test Node would make it fail to load there
 * ("compiled against a different Node.js version"). So: the built app under the machine's Node,
 * with no SQLITE_NATIVE_BINDING, on the default SQLite file, serves a whole purchase.
 */
const HOST_NODE = process.env.PPOB_TEST_HOST_NODE ?? process.execPath;

describe(`the built app on the machine's own Node (${HOST_NODE})`, () => {
  useInstanceCleanup();
  let cwd: string;

  beforeAll(() => {
    assertBuilt();
    cwd = mkdtempSync(join(tmpdir(), 'ppob-mp-host-node-'));
  });

  afterAll(() => {
    rmSync(cwd, { recursive: true, force: true });
  });

  it('serves a purchase on its default SQLite file without SQLITE_NATIVE_BINDING', async () => {
    const app = await startInstance({
      name: 'host-node',
      cwd,
      node: HOST_NODE,
      env: {
        NODE_ENV: 'development',
        SQLITE_NATIVE_BINDING: undefined,
        ALLOW_REGISTER_SALDO: 'true',
        PPOB_SIM_DELAY_MS: '0',
        PROCESSOR_INTERVAL_MS: '50',
        LOG_LEVEL: 'log',
      },
    });
    const health = await httpJson(app.baseUrl, 'GET', '/health');
    expect(health).toEqual({ status: 200, json: { status: 'ok', db: 'up' } });

    const register = await httpJson(app.baseUrl, 'POST', '/register', {
      body: { nama: 'Host Node', email: 'host-node@example.com', saldo: 50_000 },
    });
    expect(register.status).toBe(200);
    const apiKey = register.json.api_key as string;

    const beli = await httpJson(app.baseUrl, 'POST', '/beli', { apiKey, body: { produk_id: 1, nomor_tujuan: SANDBOX_NUMBERS.SUKSES } });
    expect(beli.status).toBe(200);

    let status = beli.json.status as string;
    for (let i = 0; i < 300 && status !== 'sukses' && status !== 'gagal'; i++) {
      await sleep(100);
      status = (await httpJson(app.baseUrl, 'GET', `/status/${beli.json.id}`, { apiKey })).json.status;
    }
    expect(status).toBe('sukses');
    expect(app.stdout()).toContain(join(cwd, 'data', 'ppob.sqlite'));

    const exit = await app.kill('SIGTERM', 30_000);
    expect(exit).toEqual({ code: 0, signal: null });
  });
});
