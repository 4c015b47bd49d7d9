import { ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { chownSync, createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync, WriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createConnection } from 'mysql2/promise';
import { freePort, sleep } from '../support/instances';

/**
 * A MariaDB server of the suite's own: a fresh datadir in a temp dir, its own TCP port on
 * 127.0.0.1, socket and pid file. The chaos suite pauses, stops and restarts it, which it must
 * never do to the shared server on 3306 that the other specs (and other developers) use.
 *
 * The server is started with --no-defaults so no /etc/mysql config leaks in (in particular not
 * the shared server's port, socket or datadir), and with skip-name-resolve so 127.0.0.1 is
 * matched as an address: mariadb-install-db creates root@127.0.0.1 with an empty password.
 */
const INSTALL_DB = '/usr/bin/mariadb-install-db';
const MARIADBD = '/usr/sbin/mariadbd';

export interface MariaDbExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  at: number;
  /** The suite asked for this exit (stop() or destroy()); anything else is a crash. */
  expected: boolean;
}

const live = new Set<PrivateMariaDb>();

export class PrivateMariaDb {
  private proc: ChildProcess | null = null;
  private exitedPromise: Promise<MariaDbExit> | null = null;
  private expectingExit = false;
  private paused = false;
  private errLog: WriteStream | null = null;
  /** Every exit of mariadbd since create(), expected or not. */
  readonly exits: MariaDbExit[] = [];
  version = '';

  private constructor(
    readonly dir: string,
    readonly port: number,
    /** More server options, after the suite's own (the cluster suite's wsrep settings). */
    private readonly serverArgs: string[],
    /** The OS user mariadbd runs as (it starts as root and switches). */
    private readonly user: string,
  ) {
    live.add(this);
  }

  /** Makes the temp dir and a fresh datadir (mariadb-install-db), and picks a free port. Does not start the server. */
  static async create(options: { port?: number; serverArgs?: string[]; dirPrefix?: string; user?: string } = {}): Promise<PrivateMariaDb> {
    for (const binary of [INSTALL_DB, MARIADBD]) {
      if (!existsSync(binary)) throw new Error(`${binary} is missing: the chaos suite needs the MariaDB server package (apt-get install mariadb-server)`);
    }
    const dir = mkdtempSync(join(tmpdir(), options.dirPrefix ?? 'ppob-chaos-db-'));
    const user = options.user ?? 'root';
    const db = new PrivateMariaDb(dir, options.port ?? (await freePort()), options.serverArgs ?? [], user);
    if (user !== 'root') {
      const ids = (flag: string) => Number(spawnSync('id', [flag, user], { encoding: 'utf8' }).stdout.trim());
      chownSync(dir, ids('-u'), ids('-g'));
    }
    try {
      await promisify(execFile)(
        INSTALL_DB,
        [
          '--no-defaults',
          `--user=${user}`,
          `--datadir=${db.datadir}`,
          // root@localhost, root@127.0.0.1 and root@::1 with an empty password (not unix_socket auth).
          '--auth-root-authentication-method=normal',
          '--skip-test-db',
        ],
        { timeout: 60_000, maxBuffer: 8 * 1024 * 1024 },
      );
    } catch (err) {
      await db.destroy();
      throw new Error(`mariadb-install-db failed: ${(err as Error).message}`);
    }
    return db;
  }

  get datadir(): string {
    return join(this.dir, 'data');
  }

  get errorLogPath(): string {
    return join(this.dir, 'mariadbd.err');
  }

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  get running(): boolean {
    return this.proc !== null;
  }

  /** mysql:// URL of one database on this server. */
  url(database: string): string {
    return `mysql://root@127.0.0.1:${this.port}/${database}`;
  }

  /** mariadbd's arguments for this server (also for one-off runs such as --wsrep-recover). */
  commandLine(extraArgs: string[] = []): string[] {
    return [
      '--no-defaults',
      `--user=${this.user}`,
      `--datadir=${this.datadir}`,
      `--port=${this.port}`,
      '--bind-address=127.0.0.1',
      `--socket=${join(this.dir, 'mariadbd.sock')}`,
      `--pid-file=${join(this.dir, 'mariadbd.pid')}`,
      '--skip-name-resolve',
      '--skip-log-bin',
      // Small: three instances with pools of 8 plus the suite's own connections.
      '--max-connections=200',
      '--innodb-buffer-pool-size=128M',
      '--character-set-server=utf8mb4',
      '--collation-server=utf8mb4_unicode_ci',
      ...this.serverArgs,
      ...extraArgs,
    ];
  }

  /** Starts mariadbd on the datadir (first start or restart) and waits until it answers SELECT 1. `extraArgs` are for this start only. */
  async start(timeoutMs = 60_000, extraArgs: string[] = []): Promise<void> {
    if (this.proc) throw new Error('mariadbd is already running');
    this.expectingExit = false;
    this.paused = false;
    // Appends across restarts, so one file tells the whole story of the run.
    this.errLog ??= createWriteStream(this.errorLogPath, { flags: 'a' });
    const child = spawn(MARIADBD, this.commandLine(extraArgs), { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = child;
    child.stdout!.pipe(this.errLog, { end: false });
    child.stderr!.pipe(this.errLog, { end: false });
    this.exitedPromise = new Promise<MariaDbExit>((resolveExit) => {
      child.once('exit', (code, signal) => {
        const exit: MariaDbExit = { code, signal, at: Date.now(), expected: this.expectingExit };
        this.exits.push(exit);
        if (this.proc === child) this.proc = null;
        resolveExit(exit);
      });
    });
    await this.waitUntilAnswering(timeoutMs);
    const connection = await this.connect(2_000);
    try {
      const [rows] = await connection.query('SELECT VERSION() AS v');
      this.version = String((rows as Array<{ v: string }>)[0].v);
    } finally {
      await connection.end();
    }
  }

  /** SIGSTOP: the process is frozen; its sockets stay open, so clients hang rather than fail. */
  pause(): void {
    if (!this.proc) throw new Error('mariadbd is not running');
    this.proc.kill('SIGSTOP');
    this.paused = true;
  }

  resume(): void {
    if (!this.proc) throw new Error('mariadbd is not running');
    this.proc.kill('SIGCONT');
    this.paused = false;
  }

  /** SIGTERM (a clean shutdown) and wait for the exit; SIGKILL if it takes longer than `timeoutMs`. */
  async stop(timeoutMs = 60_000): Promise<MariaDbExit & { killed: boolean }> {
    if (!this.proc || !this.exitedPromise) throw new Error('mariadbd is not running');
    this.expectingExit = true;
    const exited = this.exitedPromise;
    if (this.paused) this.resume();
    this.proc.kill('SIGTERM');
    const exit = await within(exited, timeoutMs);
    if (exit) return { ...exit, killed: false };
    this.proc?.kill('SIGKILL');
    return { ...(await exited), killed: true };
  }

  /** SIGKILL (a crash: nothing flushed, no goodbye to the cluster) and wait for the exit; the datadir stays. */
  async kill(): Promise<MariaDbExit> {
    if (!this.proc || !this.exitedPromise) throw new Error('mariadbd is not running');
    this.expectingExit = true;
    const exited = this.exitedPromise;
    this.proc.kill('SIGCONT');
    this.proc.kill('SIGKILL');
    return exited;
  }

  /** Polls with fresh connections until SELECT 1 answers; returns the time it first did (epoch ms). */
  async waitUntilAnswering(timeoutMs: number): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    let last = 'no answer yet';
    while (Date.now() < deadline) {
      if (!this.proc) throw new Error(`mariadbd exited while the suite waited for it (last: ${last})\n${this.errorLogTail()}`);
      try {
        const connection = await this.connect(1_000);
        try {
          await connection.query('SELECT 1');
          return Date.now();
        } finally {
          await connection.end().catch(() => undefined);
        }
      } catch (err) {
        last = (err as Error).message;
      }
      await sleep(100);
    }
    throw new Error(`mariadbd on port ${this.port} did not answer within ${timeoutMs} ms (last: ${last})\n${this.errorLogTail()}`);
  }

  /** A plain mysql2 connection (no database selected) for admin statements and probes. */
  connect(connectTimeoutMs = 5_000, database?: string) {
    return createConnection({ host: '127.0.0.1', port: this.port, user: 'root', database, connectTimeout: connectTimeoutMs });
  }

  async createDatabase(name: string): Promise<void> {
    if (!/^[a-z0-9_]+$/.test(name)) throw new Error(`unexpected database name ${name}`);
    const connection = await this.connect();
    try {
      await connection.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    } finally {
      await connection.end();
    }
  }

  errorLogTail(lines = 30): string {
    try {
      return readFileSync(this.errorLogPath, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no mariadbd error log)';
    }
  }

  /** Kills the server if it runs (SIGCONT first, in case it is paused) and removes the temp dir. Safe to call twice. */
  async destroy(): Promise<void> {
    this.expectingExit = true;
    const exited = this.exitedPromise;
    if (this.proc) {
      this.proc.kill('SIGCONT');
      this.proc.kill('SIGKILL');
      if (exited) await within(exited, 10_000);
    }
    this.errLog?.end();
    this.errLog = null;
    rmSync(this.dir, { recursive: true, force: true });
    live.delete(this);
  }

  /** Synchronous last resort for process exit: kill and remove, no waiting. */
  destroySync(): void {
    try {
      this.proc?.kill('SIGCONT');
      this.proc?.kill('SIGKILL');
    } catch {
      // already gone
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** `work`'s value, or null if it takes longer than `ms`; the timer is cleared either way (no open handle). */
export async function within<T>(work: Promise<T>, ms: number): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<null>((resolveTimeout) => {
    timer = setTimeout(() => resolveTimeout(null), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

// If the Jest process exits without running afterAll (a crash, a timeout), leave no server
// running and no datadir behind.
process.once('exit', () => {
  for (const db of live) db.destroySync();
});
