import { ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { DataSource } from 'typeorm';

/**
 * Real processes of the built app (dist/src/main.js) for the multi-process specs (*.mp-spec.ts):
 * several instances racing for the same rows, a kill -9 in the middle, a SIGTERM drain, boot
 * failures. Every spawned process is tracked; `useInstanceCleanup()` kills whatever is left in
 * afterAll, and a last-resort `exit` handler SIGKILLs stragglers if the Jest worker dies first.
 */

export const PROJECT_ROOT = resolve(__dirname, '..', '..');
export const MAIN_JS = join(PROJECT_ROOT, 'dist', 'src', 'main.js');

/**
 * Every variable the app reads (src/config/app.config.ts); none is inherited from the Jest
 * process. SQLITE_NATIVE_BINDING is the exception on purpose: test/run.js sets it for the Node
 * that runs Jest, and so also the instances it starts.
 */
const APP_VARIABLES = [
  'NODE_ENV',
  'PORT',
  'HOST',
  'LOG_LEVEL',
  'BODY_LIMIT_BYTES',
  'ALLOW_REGISTER_SALDO',
  'DATABASE_URL',
  'DATABASE_POOL_SIZE',
  'DATABASE_CONNECT_TIMEOUT_MS',
  'PROCESSOR_ENABLED',
  'PROCESSOR_INTERVAL_MS',
  'PROCESSOR_BATCH_SIZE',
  'PROCESSOR_CONCURRENCY',
  'PROCESSOR_LEASE_MS',
  'PROCESSOR_MAX_ATTEMPTS',
  'PROCESSOR_INSTANCE_ID',
  'SHUTDOWN_TIMEOUT_MS',
  'PPOB_SIM_DELAY_MS',
  'PPOB_SIM_SUCCESS_RATE',
  'PPOB_SIM_IGNORE_ABORT',
  'APP_CLOCK_OFFSET_MS',
  'REQUEST_TIMEOUT_MS',
  'AUTH_CACHE_TTL_MS',
  'PRODUK_CACHE_TTL_MS',
  'METRICS_TOKEN',
  'ADMIN_API_KEYS',
  'DEPOSIT_BANKS',
  'DEPOSIT_MIN',
  'DEPOSIT_MAX',
  'DEPOSIT_TTL_HOURS',
  'DEPOSIT_MAX_OPEN',
  'TZ_LAPORAN',
  'PPOB_PROVIDER',
  'DIGIFLAZZ_URL',
  'DIGIFLAZZ_USERNAME',
  'DIGIFLAZZ_API_KEY',
  'DIGIFLAZZ_WEBHOOK_SECRET',
  'DIGIFLAZZ_TESTING',
  'DIGIFLAZZ_TIMEOUT_MS',
  'DIGIFLAZZ_SYNC_INTERVAL_MS',
  'DIGIFLAZZ_MARKUP',
  'DIGIFLAZZ_SALDO_INTERVAL_MS',
  'DIGIFLAZZ_SALDO_WARN_BELOW',
];

/** Keeps at most this much of each output stream (the tail) per process. */
const MAX_CAPTURE_CHARS = 512 * 1024;

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface SpawnOptions {
  /** Label used in diagnostics (and as PROCESSOR_INSTANCE_ID unless env sets one). */
  name: string;
  /** App environment; a value of `undefined` removes the variable. PORT and HOST are filled in unless given. */
  env?: Record<string, string | undefined>;
  /** Working directory of the process (the SQLite default path is relative to it). */
  cwd?: string;
  /** The node binary that runs it; by default the one running the tests. */
  node?: string;
}

export interface StartOptions extends SpawnOptions {
  /** How long to wait for GET /health to answer 200. */
  readyTimeoutMs?: number;
}

/** Fails at once, with the fix in the message, when the app has not been built. */
export function assertBuilt(): void {
  if (!existsSync(MAIN_JS)) {
    throw new Error(`${MAIN_JS} is missing: build the app first (\`npm run build\`; \`npm test\` does it in pretest)`);
  }
}

/** A port that was free a moment ago: the OS picks it for a listener on port 0, which is then closed. */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error('could not read the port of a probe listener'));
        return;
      }
      server.close(() => resolvePort(address.port));
    });
  });
}

const live = new Set<AppProcess>();

/** One spawned process of dist/src/main.js with its captured output. */
export class AppProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<ExitInfo>;
  exitInfo: ExitInfo | null = null;
  private out = '';
  private err = '';

  constructor(
    readonly name: string,
    readonly port: number,
    env: Record<string, string>,
    cwd: string,
    node = process.execPath,
  ) {
    this.child = spawn(node, [MAIN_JS], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    live.add(this);
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      this.out = (this.out + chunk).slice(-MAX_CAPTURE_CHARS);
    });
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      this.err = (this.err + chunk).slice(-MAX_CAPTURE_CHARS);
    });
    this.exited = new Promise<ExitInfo>((resolveExit) => {
      // 'close' (not 'exit') so the output streams are fully read when it resolves.
      this.child.once('close', (code, signal) => {
        this.exitInfo = { code, signal };
        live.delete(this);
        resolveExit(this.exitInfo);
      });
      this.child.once('error', (error) => {
        this.err += `\n[spawn error] ${error.message}\n`;
        this.exitInfo = { code: null, signal: null };
        live.delete(this);
        resolveExit(this.exitInfo);
      });
    });
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.exitInfo === null;
  }

  stdout(): string {
    return stripAnsi(this.out);
  }

  stderr(): string {
    return stripAnsi(this.err);
  }

  /**
   * Log lines at level error or fatal (the app logs JSON lines on stdout), plus anything on
   * stderr that says error (start-up failures are printed there before the logger exists).
   */
  errorLines(): string[] {
    const json = this.stdout()
      .split('\n')
      .filter((line) => /^\{.*"level":"(error|fatal)"/.test(line));
    const plain = this.stderr()
      .split('\n')
      .filter((line) => /\berror\b/i.test(line));
    return [...json, ...plain];
  }

  /** The last lines of both streams, for error messages. */
  diagnostics(lines = 40): string {
    const tail = (text: string) => text.trimEnd().split('\n').slice(-lines).join('\n');
    const state = this.exitInfo ? `exited code=${this.exitInfo.code} signal=${this.exitInfo.signal}` : 'running';
    return `--- ${this.name} (pid ${this.pid}, port ${this.port}, ${state}) stdout ---\n${tail(this.stdout())}\n--- ${this.name} stderr ---\n${tail(this.stderr())}\n`;
  }

  /** Sends `signal` (if still running) and waits up to `timeoutMs` for the exit; SIGKILLs and throws if it does not come. */
  async kill(signal: NodeJS.Signals = 'SIGKILL', timeoutMs = 15_000): Promise<ExitInfo> {
    if (this.exitInfo) return this.exitInfo;
    this.child.kill(signal);
    const info = await waitForExit(this, timeoutMs);
    if (info) return info;
    this.child.kill('SIGKILL');
    await this.exited;
    throw new Error(`${this.name} did not exit within ${timeoutMs} ms of ${signal}; it was SIGKILLed\n${this.diagnostics()}`);
  }

  /** Waits until the process exits by itself (e.g. a boot failure), at most `timeoutMs`. */
  async waitForExit(timeoutMs: number): Promise<ExitInfo> {
    const info = await waitForExit(this, timeoutMs);
    if (info) return info;
    throw new Error(`${this.name} was still running after ${timeoutMs} ms\n${this.diagnostics()}`);
  }

  /** Polls GET /health until it answers 200; fails with the captured output if the process exits or the time runs out. */
  async waitUntilHealthy(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = 'no answer yet';
    while (Date.now() < deadline) {
      if (this.exitInfo) {
        throw new Error(`${this.name} exited before it became healthy\n${this.diagnostics()}`);
      }
      try {
        const res = await fetch(`${this.baseUrl}/health`, { signal: AbortSignal.timeout(2_000) });
        if (res.status === 200) return;
        last = `HTTP ${res.status} ${await res.text()}`;
      } catch (err) {
        last = (err as Error).message;
      }
      await sleep(100);
    }
    throw new Error(`${this.name} did not answer GET /health 200 within ${timeoutMs} ms (last: ${last})\n${this.diagnostics()}`);
  }
}

/** Waits up to `timeoutMs` for a child process not spawned through AppProcess; null if it is still running. */
export function waitForExitOf(child: ChildProcess, timeoutMs: number): Promise<ExitInfo | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolveExit) => {
    const timer = setTimeout(() => resolveExit(null), timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolveExit({ code, signal });
    });
  });
}

function waitForExit(proc: AppProcess, timeoutMs: number): Promise<ExitInfo | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<null>((resolveTimeout) => {
    timer = setTimeout(() => resolveTimeout(null), timeoutMs);
  });
  return Promise.race([proc.exited, timeout]).finally(() => clearTimeout(timer));
}

/** Builds the child's environment: the Jest process's minus every app variable, plus `env`. */
function childEnv(env: Record<string, string | undefined>): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !APP_VARIABLES.includes(key)) result[key] = value;
  }
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined) delete result[key];
    else result[key] = value;
  }
  return result;
}

/** Spawns one process and returns at once (no readiness wait): for processes expected to fail at boot. */
export async function spawnApp(options: SpawnOptions): Promise<AppProcess> {
  assertBuilt();
  const env: Record<string, string | undefined> = {
    // One key for every process of a spec, so instances open each other's secrets.
    APP_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
    // Specs send everything from 127.0.0.1: limits off unless a spec sets them.
    RATE_LIMIT_PER_MINUTE: '0',
    RATE_LIMIT_REGISTER_PER_HOUR: '0',
    RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '0',
    ...(options.env ?? {}),
  };
  // PORT may be given on purpose (even invalid, for the config tests); otherwise a free one.
  const port = 'PORT' in env ? Number(env.PORT) : await freePort();
  if (!('PORT' in env)) env.PORT = String(port);
  if (!('HOST' in env)) env.HOST = '127.0.0.1';
  return new AppProcess(options.name, port, childEnv(env), options.cwd ?? PROJECT_ROOT, options.node);
}

/**
 * Spawns one process on a free port and waits for GET /health 200. A lost race for the port
 * (EADDRINUSE) is retried on a new port a couple of times.
 */
export async function startInstance(options: StartOptions): Promise<AppProcess> {
  for (let attempt = 1; ; attempt++) {
    const proc = await spawnApp({ ...options, env: { PROCESSOR_INSTANCE_ID: options.name, ...options.env } });
    try {
      await proc.waitUntilHealthy(options.readyTimeoutMs ?? 60_000);
      return proc;
    } catch (err) {
      if (proc.running) await proc.kill('SIGKILL');
      if (attempt < 3 && /EADDRINUSE/.test(proc.stderr() + proc.stdout())) continue;
      throw err;
    }
  }
}

/** Starts `count` instances at once (they race through the migrations, as real replicas would). */
export async function startInstances(
  count: number,
  optionsFor: (index: number) => StartOptions,
): Promise<AppProcess[]> {
  const settled = await Promise.allSettled(Array.from({ length: count }, (_, i) => startInstance(optionsFor(i))));
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    await Promise.all(settled.map((s) => (s.status === 'fulfilled' ? s.value.kill('SIGKILL') : undefined)));
    throw failed.reason;
  }
  return settled.map((s) => (s as PromiseFulfilledResult<AppProcess>).value);
}

/** SIGKILLs every process this helper spawned that is still running, and waits for them. */
export async function killAll(): Promise<void> {
  await Promise.all([...live].map((proc) => proc.kill('SIGKILL').catch(() => undefined)));
}

/** Registers an afterAll that kills every process still running, whether the tests passed or not. */
export function useInstanceCleanup(): void {
  afterAll(async () => {
    await killAll();
  }, 30_000);
}

// Last resort: if the worker exits without running afterAll, leave no orphan behind.
process.once('exit', () => {
  for (const proc of live) {
    try {
      proc.child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
});

export function sleep(ms: number): Promise<void> {
  return new Promise((resolveSleep) => setTimeout(resolveSleep, ms));
}

function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u001b\[[0-9;]*m/g, '');
}

/** Runs `work` over `items` with at most `limit` in flight; results in input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index], index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** JSON over real HTTP to 127.0.0.1, with a per-request timeout. */
export async function httpJson(
  baseUrl: string,
  method: 'GET' | 'POST',
  path: string,
  options: { apiKey?: string; body?: unknown; timeoutMs?: number; headers?: Record<string, string> } = {},
): Promise<{ status: number; json: any }> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.apiKey) headers['x-api-key'] = options.apiKey;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    signal: AbortSignal.timeout(options.timeoutMs ?? 20_000),
  });
  const text = await res.text();
  let json: unknown = text;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: keep the text for the assertion message
  }
  return { status: res.status, json };
}

/**
 * A plain TypeORM connection to a test database for the checks (invariants.ts takes a
 * DataSource): no entities, no migrations; the instances own the schema.
 */
export async function openCheckDataSource(url: string): Promise<DataSource> {
  const dataSource = new DataSource({
    type: 'mysql',
    url,
    timezone: 'Z',
    supportBigNumbers: true,
    bigNumberStrings: true,
    poolSize: 4,
    logging: false,
  });
  await dataSource.initialize();
  return dataSource;
}

/** Polls until no transaksi is pending or proses; returns how many are still open when time runs out (0 = settled). */
export async function waitUntilSettled(dataSource: DataSource, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [row] = await dataSource.query("SELECT COUNT(*) AS n FROM transaksi WHERE status IN ('pending', 'proses')");
    const open = Number(row.n);
    if (open === 0 || Date.now() > deadline) return open;
    await sleep(100);
  }
}
