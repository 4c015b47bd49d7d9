import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppProcess, assertBuilt, httpJson, spawnApp, startInstance, useInstanceCleanup } from './support/instances';

// Real processes on 2 cores: a generous default for the short checks; long steps set their own.
jest.setTimeout(60_000);

/**
 * Boot behaviour of the built app as an operator sees it: a bad environment or an unreachable
 * database is one clear line on stderr and exit code 1 (no stack trace); with no DATABASE_URL
 * at all it runs on an embedded SQLite file under its working directory.
 */
const tempDirs: string[] = [];

function tempCwd(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ppob-mp-startup-'));
  tempDirs.push(dir);
  return dir;
}

function stderrLines(proc: AppProcess): string[] {
  return proc
    .stderr()
    .split('\n')
    .map((line) => line.trimEnd())
    .filter((line) => line.length > 0);
}

describe('starting the built app', () => {
  useInstanceCleanup();

  beforeAll(() => {
    assertBuilt();
  });

  afterAll(() => {
    for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  });

  it('exits 1 with one "cannot connect" line on stderr, and no stack trace, when the database port is closed', async () => {
    const proc = await spawnApp({
      name: 'startup-closed-port',
      cwd: tempCwd(),
      env: { NODE_ENV: 'test', DATABASE_URL: 'mysql://root@127.0.0.1:1/x', DATABASE_CONNECT_TIMEOUT_MS: '3000' },
    });
    const exit = await proc.waitForExit(30_000);
    expect(exit).toEqual({ code: 1, signal: null });
    const lines = stderrLines(proc);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/cannot connect/i);
    expect(lines[0]).toContain('127.0.0.1:1');
    expect(proc.stderr()).not.toMatch(/^\s+at /m);
    expect(proc.stdout()).not.toMatch(/^\s+at /m);
  }, 40_000);

  it.each([
    ['PORT', 'abc'],
    ['PPOB_SIM_DELAY_MS', '5-1'],
    ['PROCESSOR_CONCURRENCY', '0'],
  ])('exits 1 with one line naming %s when it is set to "%s"', async (name, value) => {
    const cwd = tempCwd();
    const proc = await spawnApp({ name: `startup-bad-${name}`, cwd, env: { NODE_ENV: 'test', DATABASE_URL: undefined, [name]: value } });
    const exit = await proc.waitForExit(30_000);
    expect(exit).toEqual({ code: 1, signal: null });
    const lines = stderrLines(proc);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(name);
    expect(lines[0]).toContain(value);
    expect(proc.stderr()).not.toMatch(/^\s+at /m);
    // Validation happens before anything touches the disk: no database file was created.
    expect(existsSync(join(cwd, 'data'))).toBe(false);
  }, 40_000);

  it('runs on SQLite at data/ppob.sqlite under its working directory when DATABASE_URL is not set', async () => {
    const cwd = tempCwd();
    expect(existsSync(join(cwd, 'data'))).toBe(false);
    const proc = await startInstance({
      name: 'startup-sqlite',
      cwd,
      env: { NODE_ENV: 'test', ALLOW_REGISTER_SALDO: 'true', DATABASE_URL: undefined, LOG_LEVEL: 'log', PPOB_SIM_DELAY_MS: '0' },
    });
    const dbFile = join(cwd, 'data', 'ppob.sqlite');
    expect(existsSync(dbFile)).toBe(true);
    expect(proc.stdout()).toContain('PPOB API listening on');
    expect(proc.stdout()).toContain(`sqlite ${dbFile}`);

    expect(await httpJson(proc.baseUrl, 'GET', '/health')).toEqual({ status: 200, json: { status: 'ok', db: 'up' } });

    const reg = await httpJson(proc.baseUrl, 'POST', '/register', { body: { nama: 'Toko SQLite', email: 'sqlite@example.com', saldo: 50_000 } });
    expect(reg.status).toBe(200);
    expect(reg.json.api_key).toMatch(/^[0-9a-f]{64}$/);

    expect((await httpJson(proc.baseUrl, 'GET', '/produk')).status).toBe(401);
    const produk = await httpJson(proc.baseUrl, 'GET', '/produk', { apiKey: reg.json.api_key });
    expect(produk.status).toBe(200);
    expect(produk.json.map((p: { nama: string; harga: number; nominal: number }) => [p.nama, p.harga, p.nominal])).toEqual([
      ['Pulsa 10k', 12_000, 10_000],
      ['Pulsa 20k', 22_000, 20_000],
      ['Token Listrik 50k', 51_000, 50_000],
    ]);

    await proc.kill('SIGKILL');
    expect(proc.running).toBe(false);
  }, 90_000);
});
