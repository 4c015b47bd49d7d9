import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppProcess, assertBuilt, freePort, httpJson, MAIN_JS, PROJECT_ROOT, spawnApp, startInstance, useInstanceCleanup, waitForExitOf } from './support/instances';
import { createTestDatabase, describeFor } from './support/test-db';

// Real processes on 2 cores: a generous default for the short checks; long steps set their own.
jest.setTimeout(60_000);

/** What an operator sees on the console when starting and stopping the built app. */
const tempDirs: string[] = [];
function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

function lines(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.trimEnd())
    .filter((line) => line.length > 0);
}

/** The JSON log lines of a process, parsed. */
function logLines(proc: AppProcess): Array<{ level: string; msg: string; context?: string }> {
  return lines(proc.stdout())
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line));
}

const sqliteEnv = (dir: string) => ({ NODE_ENV: 'test', DATABASE_URL: `sqlite:${join(dir, 'ppob.sqlite')}`, LOG_LEVEL: 'log', PPOB_SIM_DELAY_MS: '0' });

describe('the built app at the console', () => {
  useInstanceCleanup();
  const raw: ChildProcess[] = [];

  beforeAll(() => {
    assertBuilt();
  });

  afterAll(() => {
    for (const child of raw) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  });

  describe('a port that is already in use', () => {
    let first: AppProcess;
    beforeAll(async () => {
      const dir = tempDir('ppob-mp-port-');
      first = await startInstance({ name: 'port-owner', cwd: dir, env: sqliteEnv(dir) });
    }, 90_000);

    it('exits 1 with the one line "port N is in use; set PORT", and never says it started', async () => {
      const dir = tempDir('ppob-mp-port2-');
      const second = await spawnApp({ name: 'port-taker', cwd: dir, env: { ...sqliteEnv(dir), PORT: String(first.port) } });
      expect(await second.waitForExit(30_000)).toEqual({ code: 1, signal: null });
      expect(lines(second.stderr())).toEqual([`ppob-api: port ${first.port} is in use; set PORT`]);
      expect(second.stdout()).not.toMatch(/successfully started|listening on/i);
      expect(second.stdout()).not.toMatch(/^\s+at /m);
    });

    it('exits 1 within a bound even when its stdout is a closed pipe (`node dist/src/main.js | head -1`)', async () => {
      const dir = tempDir('ppob-mp-port3-');
      const child = spawn(process.execPath, [MAIN_JS], {
        cwd: dir,
        env: { ...process.env, ...sqliteEnv(dir), HOST: '127.0.0.1', PORT: String(first.port) },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      raw.push(child);
      // The reader goes away at once: every write to stdout from now on is EPIPE.
      child.stdout!.destroy();
      child.stderr!.resume();
      const exit = await waitForExitOf(child, 30_000);
      expect(exit).toEqual({ code: 1, signal: null });
    }, 40_000);
  });

  it('logs one line when a SIGTERM shutdown begins and one when it is done, and exits 0', async () => {
    const dir = tempDir('ppob-mp-sigterm-');
    const proc = await startInstance({ name: 'sigterm-lines', cwd: dir, env: sqliteEnv(dir) });
    expect(await proc.kill('SIGTERM', 30_000)).toEqual({ code: 0, signal: null });
    const shutdown = logLines(proc).filter((line) => line.context === 'Shutdown');
    const begun = shutdown.findIndex((line) => /^SIGTERM received; shutting down/.test(line.msg));
    const done = shutdown.findIndex((line) => /^shutdown complete in \d+ ms$/.test(line.msg));
    expect({ begun: begun >= 0, done: done > begun, count: shutdown.filter((l) => /received; shutting down|shutdown complete/.test(l.msg)).length }).toEqual({
      begun: true,
      done: true,
      count: 2,
    });
  }, 90_000);

  describeFor('mysql')('on MySQL', () => {
    it('names the host and the database in the start-up line (never the user or password)', async () => {
      const db = await createTestDatabase('mysql');
      try {
        const proc = await startInstance({ name: 'mysql-line', env: { NODE_ENV: 'test', DATABASE_URL: db.url, DATABASE_POOL_SIZE: '4', LOG_LEVEL: 'log' } });
        const url = new URL(db.url);
        const line = logLines(proc).find((l) => l.msg.startsWith('PPOB API listening on'));
        expect(line?.msg).toContain(`(mysql ${url.hostname}:${url.port || 3306}${url.pathname},`);
        await proc.kill('SIGTERM', 30_000);
      } finally {
        await db.drop();
      }
    }, 90_000);
  });

  /**
   * The production recipe from the README: build, then install without dev dependencies, then
   * start. The install is `npm prune --omit=dev` on a copy of this checkout's node_modules (it
   * leaves exactly the tree `npm ci --omit=dev` installs, without the network or a native build).
   */
  it('starts with `npm run start:prod` where only the production dependencies are installed', async () => {
    const dir = tempDir('ppob-mp-prod-');
    for (const file of ['package.json', 'package-lock.json']) copyFileSync(join(PROJECT_ROOT, file), join(dir, file));
    cpSync(join(PROJECT_ROOT, 'dist'), join(dir, 'dist'), { recursive: true });
    cpSync(join(PROJECT_ROOT, 'node_modules'), join(dir, 'node_modules'), { recursive: true, verbatimSymlinks: true });
    execFileSync('npm', ['prune', '--omit=dev', '--offline', '--no-audit', '--no-fund'], { cwd: dir, stdio: 'pipe', timeout: 120_000 });
    // typescript and ts-node stay: typeorm names ts-node as an optional peer, so the lockfile marks
    // both devOptional, and `npm ci --omit=dev` installs them too.
    for (const devOnly of ['jest', 'ts-jest', '@nestjs/testing', 'playwright-core']) {
      expect({ devOnly, installed: existsSync(join(dir, 'node_modules', devOnly)) }).toEqual({ devOnly, installed: false });
    }

    const port = await freePort();
    const child = spawn('npm', ['run', 'start:prod'], {
      cwd: dir,
      env: { ...process.env, NODE_ENV: 'production', APP_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'), PORT: String(port), HOST: '127.0.0.1', DATABASE_URL: `sqlite:${join(dir, 'ppob.sqlite')}`, PROCESSOR_INSTANCE_ID: 'prod-start' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    raw.push(child);
    let output = '';
    child.stdout!.on('data', (chunk) => (output += chunk));
    child.stderr!.on('data', (chunk) => (output += chunk));
    try {
      const deadline = Date.now() + 60_000;
      let health: { status: number } = { status: 0 };
      while (Date.now() < deadline && child.exitCode === null) {
        health = await httpJson(`http://127.0.0.1:${port}`, 'GET', '/health').catch(() => ({ status: 0, json: null }));
        if (health.status === 200) break;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect({ health: health.status, output: health.status === 200 ? '' : output }).toEqual({ health: 200, output: '' });
      const reg = await httpJson(`http://127.0.0.1:${port}`, 'POST', '/register', { body: { nama: 'Produksi', email: 'prod@example.com' } });
      expect(reg.status).toBe(200);
    } finally {
      // npm runs node as its child: signal the whole group.
      if (child.pid && child.exitCode === null) process.kill(-child.pid, 'SIGTERM');
      await waitForExitOf(child, 30_000);
    }
  }, 240_000);
});
