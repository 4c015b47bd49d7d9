import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createConnection } from 'node:net';
import { createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection as createMysqlConnection } from 'mysql2/promise';
import { freePort, PROJECT_ROOT, sleep } from '../support/instances';
import { PrivateMariaDb, within } from '../chaos/private-mariadb';

/**
 * A three-node MariaDB Galera cluster and an HAProxy in front of it, all of the suite's own: temp
 * datadirs, private ports on 127.0.0.1 for SQL, group communication, IST and SST, and HAProxy
 * listening on a private port. Never the shared server on 3306.
 *
 * The node settings are deploy/galera/galera.cnf's, given on the command line (each node is
 * started with --no-defaults, so nothing of /etc/mysql leaks in); the HAProxy configuration is
 * deploy/galera/haproxy.cfg with this run's addresses filled in, and its health checks are the
 * project's own wsrep-check agents (dist/src/health/wsrep-check.js), one per node.
 */
export const GALERA_PROVIDER = '/usr/lib/galera/libgalera_smm.so';
const HAPROXY = '/usr/sbin/haproxy';
const MARIADBD = '/usr/sbin/mariadbd';
const RSYNC = '/usr/bin/rsync';
const WSREP_CHECK_JS = join(PROJECT_ROOT, 'dist', 'src', 'health', 'wsrep-check.js');
const HAPROXY_TEMPLATE = join(PROJECT_ROOT, 'deploy', 'galera', 'haproxy.cfg');

/** What this machine lacks to run the cluster suite (empty: it can run). */
export function missingClusterTools(): string[] {
  const missing: string[] = [];
  if (!existsSync(GALERA_PROVIDER)) missing.push(`galera-4 (${GALERA_PROVIDER})`);
  if (!existsSync(HAPROXY)) missing.push(`haproxy (${HAPROXY})`);
  if (!existsSync(RSYNC)) missing.push(`rsync (${RSYNC}, Galera's state transfer)`);
  // The nodes run as mysql: an rsync state transfer started by root would write as nobody.
  if (spawnSync('id', ['-u', 'mysql']).status !== 0) missing.push('the mysql OS user (from the mariadb-server package)');
  return missing;
}

interface NodePorts {
  sql: number;
  gcomm: number;
  ist: number;
  sst: number;
  check: number;
}

export interface WsrepState {
  clusterStatus: string;
  ready: string;
  localState: number;
  comment: string;
  clusterSize: number;
}

export class GaleraNode {
  checkAgent: ChildProcess | null = null;
  private frozen = false;

  constructor(
    readonly name: string,
    readonly db: PrivateMariaDb,
    readonly ports: NodePorts,
  ) {}

  get running(): boolean {
    return this.db.running;
  }

  get paused(): boolean {
    return this.frozen;
  }

  async wsrep(timeoutMs = 2_000): Promise<WsrepState | null> {
    const work = (async () => {
      const connection = await this.db.connect(timeoutMs);
      try {
        const [rows] = await connection.query(
          "SHOW GLOBAL STATUS WHERE Variable_name IN ('wsrep_cluster_status','wsrep_ready','wsrep_local_state','wsrep_local_state_comment','wsrep_cluster_size')",
        );
        const v = new Map((rows as Array<{ Variable_name: string; Value: string }>).map((r) => [r.Variable_name.toLowerCase(), r.Value]));
        return {
          clusterStatus: v.get('wsrep_cluster_status') ?? '',
          ready: v.get('wsrep_ready') ?? '',
          localState: Number(v.get('wsrep_local_state') ?? 0),
          comment: v.get('wsrep_local_state_comment') ?? '',
          clusterSize: Number(v.get('wsrep_cluster_size') ?? 0),
        };
      } finally {
        await connection.end().catch(() => undefined);
      }
    })();
    work.catch(() => undefined);
    try {
      return await within(work, timeoutMs);
    } catch {
      return null;
    }
  }

  /** Client connections with `database` selected on this node (Galera's own applier threads, 'system user', do not count). */
  async appConnections(database: string): Promise<number> {
    const connection = await this.db.connect(2_000);
    try {
      const [rows] = await connection.query("SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE DB = ? AND USER <> 'system user' AND ID <> CONNECTION_ID()", [database]);
      return Number((rows as Array<{ n: number }>)[0].n);
    } finally {
      await connection.end().catch(() => undefined);
    }
  }

  /**
   * Starts a node that was killed: first `mariadbd --wsrep-recover` reads the last committed
   * position from InnoDB (what Debian's galera_recovery does for systemd), then the node starts at
   * that position and rejoins with IST (only the missing write sets, the donor keeps working)
   * instead of a full state transfer. Returns the recovered position.
   */
  async restartAfterCrash(timeoutMs: number): Promise<string> {
    const recover = spawnSync(MARIADBD, this.db.commandLine(['--wsrep-recover', `--log-error=${join(this.db.dir, 'recover.err')}`]), {
      encoding: 'utf8',
      timeout: 60_000,
    });
    const log = existsSync(join(this.db.dir, 'recover.err')) ? readFileSync(join(this.db.dir, 'recover.err'), 'utf8') : '';
    const position = /WSREP: Recovered position: (\S+)/.exec(`${log}${recover.stderr ?? ''}`)?.[1];
    if (!position) throw new Error(`${this.name}: --wsrep-recover found no position (exit ${recover.status})\n${log.slice(-3000)}`);
    await this.db.start(timeoutMs, [`--wsrep-start-position=${position}`]);
    return position;
  }

  pause(): void {
    this.db.pause();
    this.frozen = true;
  }

  resume(): void {
    this.db.resume();
    this.frozen = false;
  }
}

export class PrivateGalera {
  haproxy: ChildProcess | null = null;
  haproxyPort = 0;
  private haproxyStatsSocket = '';
  private haproxyOut = '';

  private constructor(
    readonly dir: string,
    readonly nodes: GaleraNode[],
  ) {}

  /** Makes the nodes' datadirs and picks their ports; starts nothing. */
  static async create(): Promise<PrivateGalera> {
    const dir = mkdtempSync(join(tmpdir(), 'ppob-cluster-'));
    const ports: NodePorts[] = [];
    for (let i = 0; i < 3; i++) {
      ports.push({ sql: await freePort(), gcomm: await freePort(), ist: await freePort(), sst: await freePort(), check: await freePort() });
    }
    const members = ports.map((p) => `127.0.0.1:${p.gcomm}`).join(',');
    const nodes: GaleraNode[] = [];
    for (let i = 0; i < 3; i++) {
      const p = ports[i];
      const name = `node${i + 1}`;
      const db = await PrivateMariaDb.create({
        port: p.sql,
        dirPrefix: `ppob-cluster-${name}-`,
        // Not root: the rsync state transfer's daemon, started by root, would write as nobody.
        user: 'mysql',
        serverArgs: [
          // deploy/galera/galera.cnf, as options.
          '--binlog-format=ROW',
          '--default-storage-engine=InnoDB',
          '--innodb-autoinc-lock-mode=2',
          '--innodb-flush-log-at-trx-commit=2',
          '--wsrep-on=ON',
          `--wsrep-provider=${GALERA_PROVIDER}`,
          '--wsrep-cluster-name=ppob_cluster_test',
          `--wsrep-cluster-address=gcomm://${members}`,
          `--wsrep-node-name=${name}`,
          `--wsrep-node-address=127.0.0.1:${p.gcomm}`,
          `--wsrep-node-incoming-address=127.0.0.1:${p.sql}`,
          '--wsrep-sst-method=rsync',
          `--wsrep-sst-receive-address=127.0.0.1:${p.sst}`,
          `--wsrep-provider-options=gmcast.listen_addr=tcp://127.0.0.1:${p.gcomm};ist.recv_addr=127.0.0.1:${p.ist};gcache.size=128M`,
          '--wsrep-slave-threads=2',
        ],
      });
      nodes.push(new GaleraNode(name, db, p));
    }
    return new PrivateGalera(dir, nodes);
  }

  /** Bootstraps node1 as a new cluster, then joins node2 and node3 (a state transfer each). */
  async start(): Promise<void> {
    const [first, ...rest] = this.nodes;
    await first.db.start(60_000, ['--wsrep-new-cluster']);
    await this.waitSynced(first, 60_000);
    for (const node of rest) {
      await node.db.start(120_000);
      await this.waitSynced(node, 120_000);
    }
    for (const node of this.nodes) this.startCheckAgent(node);
  }

  async waitSynced(node: GaleraNode, timeoutMs: number): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    let last: WsrepState | null = null;
    while (Date.now() < deadline) {
      last = await node.wsrep();
      if (last && last.clusterStatus === 'Primary' && last.localState === 4) return Date.now();
      await sleep(200);
    }
    throw new Error(`${node.name} is not Synced after ${timeoutMs} ms (last: ${JSON.stringify(last)})\n${node.db.errorLogTail()}`);
  }

  private startCheckAgent(node: GaleraNode): void {
    const out = createWriteStream(join(node.db.dir, 'wsrep-check.log'), { flags: 'a' });
    const agent = spawn(process.execPath, [WSREP_CHECK_JS, '--listen', `127.0.0.1:${node.ports.check}`, '--mysql', `mysql://root@127.0.0.1:${node.ports.sql}`, '--timeout-ms', '1000'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    agent.stdout!.pipe(out, { end: false });
    agent.stderr!.pipe(out, { end: false });
    node.checkAgent = agent;
  }

  /** Starts HAProxy on a free port with deploy/galera/haproxy.cfg, pointed at this run's nodes and agents. */
  async startHaproxy(): Promise<void> {
    this.haproxyPort = await freePort();
    this.haproxyStatsSocket = join(this.dir, 'haproxy.sock');
    let config = readFileSync(HAPROXY_TEMPLATE, 'utf8')
      .replace(/^\s*(user|group|daemon|chroot|log)\b.*$/gm, '')
      .replace(/stats socket \S+/, `stats socket ${this.haproxyStatsSocket}`)
      .replace(/bind \S+:3306/, `bind 127.0.0.1:${this.haproxyPort}`);
    this.nodes.forEach((node, i) => {
      config = config.replace(new RegExp(`server node${i + 1} \\S+ check addr \\S+ port \\d+`), `server node${i + 1} 127.0.0.1:${node.ports.sql} check addr 127.0.0.1 port ${node.ports.check}`);
    });
    const path = join(this.dir, 'haproxy.cfg');
    writeFileSync(path, config);
    const check = spawnSync(HAPROXY, ['-c', '-f', path], { encoding: 'utf8' });
    if (check.status !== 0) throw new Error(`haproxy -c rejected the configuration:\n${check.stdout}${check.stderr}\n${config}`);
    const proc = spawn(HAPROXY, ['-db', '-f', path], { stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (chunk: Buffer) => {
      this.haproxyOut = (this.haproxyOut + chunk.toString()).slice(-64 * 1024);
    };
    proc.stdout!.on('data', keep);
    proc.stderr!.on('data', keep);
    this.haproxy = proc;
    // Up once its checks have passed on every node (so the first connection goes to node1, as in
    // production once the cluster is up) and it routes a connection to a node that answers.
    const deadline = Date.now() + 30_000;
    for (;;) {
      const servers = await this.haproxyServers();
      if (servers.length !== 3 || servers.some((s) => s.status !== 'UP')) {
        if (Date.now() > deadline) throw new Error(`HAProxy does not see three nodes UP: ${JSON.stringify(servers)}\n${this.haproxyOut}`);
        await sleep(200);
        continue;
      }
      try {
        const c = await createMysqlConnection({ host: '127.0.0.1', port: this.haproxyPort, user: 'root', connectTimeout: 1_000 });
        await c.query('SELECT 1');
        await c.end();
        return;
      } catch (err) {
        if (Date.now() > deadline) throw new Error(`HAProxy on ${this.haproxyPort} routes nothing: ${(err as Error).message}\n${this.haproxyOut}`);
        await sleep(200);
      }
    }
  }

  haproxyLog(): string {
    return this.haproxyOut;
  }

  /** HAProxy's view of each node (UP, DOWN, ...) and its current sessions, from the stats socket. */
  async haproxyServers(): Promise<Array<{ name: string; status: string; sessions: number }>> {
    const text = await new Promise<string>((resolveText) => {
      let data = '';
      const socket = createConnection(this.haproxyStatsSocket, () => socket.end('show stat\n'));
      socket.setEncoding('utf8').on('data', (chunk: string) => (data += chunk));
      socket.on('close', () => resolveText(data));
      socket.on('error', () => resolveText(''));
    });
    return text
      .split('\n')
      .filter((line) => /^galera_writer,node\d,/.test(line))
      .map((line) => line.split(','))
      .map((f) => ({ name: f[1], status: f[17], sessions: Number(f[4]) }));
  }

  url(database: string): string {
    return `mysql://root@127.0.0.1:${this.haproxyPort}/${database}`;
  }

  async destroy(): Promise<void> {
    this.haproxy?.kill('SIGKILL');
    for (const node of this.nodes) {
      node.checkAgent?.kill('SIGKILL');
      await node.db.destroy().catch(() => undefined);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
