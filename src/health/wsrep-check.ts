/**
 * The proxy's health check for one Galera node (HAProxy `option httpchk`, see deploy/galera/):
 * a small HTTP server that answers 200 when the node takes writes and 503 with the reason when it
 * does not. HAProxy's own mysql-check only sees that the server accepts a login, which a node
 * without quorum still does (issue 15); Debian ships no wsrep-aware check.
 *
 *   node dist/src/health/wsrep-check.js --listen 127.0.0.1:9201 --mysql-url-file /etc/ppob/node1.url
 *
 * The URL (mysql://user:password@host:port) names a user that needs no privilege beyond USAGE:
 * `CREATE USER 'wsrepcheck'@'<proxy host>' IDENTIFIED BY '...'`. Prefer --mysql-url-file over
 * --mysql so the password does not show in `ps`.
 *
 * Not part of the app: it reads its command line only and loads nothing of Nest.
 */
import { readFileSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import { parseArgs } from 'node:util';
import { createPool, Pool } from 'mysql2/promise';
import { withTimeout } from '../common/timeout';
import { parseWsrepStatus, WSREP_STATUS_SQL, wsrepReason } from './wsrep-status';

export interface WsrepCheckOptions {
  host: string;
  port: number;
  mysqlUrl: string;
  /** A check that takes longer answers 503: a frozen node must not look healthy. */
  timeoutMs: number;
}

export interface CheckAnswer {
  ready: boolean;
  /** 'ready', or why not (unreachable, read_only, wsrep_not_primary, wsrep_not_ready, wsrep_not_synced). */
  text: string;
}

export async function checkNode(pool: Pool, timeoutMs: number): Promise<CheckAnswer> {
  try {
    return await withTimeout(
      (async () => {
        const [rows] = await pool.query(WSREP_STATUS_SQL);
        const wsrep = parseWsrepStatus(rows as Array<{ Variable_name: string; Value: string }>);
        const reason = wsrepReason(wsrep);
        if (reason) return { ready: false, text: `${reason} (${wsrep.localStateComment || 'no wsrep status'})` };
        // An operator takes a node out of the writer rotation by making it read-only.
        const [ro] = await pool.query('SELECT @@global.read_only AS ro');
        if (Number((ro as Array<{ ro: number }>)[0]?.ro) === 1) return { ready: false, text: 'read_only' };
        return { ready: true, text: 'ready' };
      })(),
      timeoutMs,
      () => new Error(`no answer within ${timeoutMs} ms`),
    );
  } catch (err) {
    return { ready: false, text: `unreachable (${(err as Error).message})` };
  }
}

export function startWsrepCheck(options: WsrepCheckOptions): Promise<{ server: Server; pool: Pool }> {
  // Few connections, short connect timeout: HAProxy asks about once a second.
  const pool = createPool({ uri: options.mysqlUrl, connectionLimit: 2, connectTimeout: options.timeoutMs, enableKeepAlive: true });
  let last = '';
  const server = createServer((req, res) => {
    void checkNode(pool, options.timeoutMs).then((answer) => {
      if (answer.text !== last) {
        process.stdout.write(`${new Date().toISOString()} ${answer.ready ? 'UP' : 'DOWN'} ${answer.text}\n`);
        last = answer.text;
      }
      res.writeHead(answer.ready ? 200 : 503, { 'content-type': 'text/plain', connection: 'close' });
      res.end(`${answer.text}\n`);
    });
  });
  return new Promise((resolveStart, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolveStart({ server, pool }));
  });
}

export function parseCommandLine(argv: string[]): WsrepCheckOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      listen: { type: 'string', default: '127.0.0.1:9200' },
      mysql: { type: 'string' },
      'mysql-url-file': { type: 'string' },
      'timeout-ms': { type: 'string', default: '2000' },
    },
    strict: true,
  });
  const listen = /^(.+):(\d+)$/.exec(values.listen!);
  if (!listen) throw new Error(`--listen wants host:port, got ${values.listen}`);
  const mysqlUrl = values['mysql-url-file'] ? readFileSync(values['mysql-url-file'], 'utf8').trim() : values.mysql;
  if (!mysqlUrl || !/^mysql:\/\//.test(mysqlUrl)) throw new Error('give the node as --mysql mysql://user:password@host:port or --mysql-url-file <file>');
  const timeoutMs = Number(values['timeout-ms']);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 100) throw new Error(`--timeout-ms wants an integer of at least 100, got ${values['timeout-ms']}`);
  return { host: listen[1], port: Number(listen[2]), mysqlUrl, timeoutMs };
}

if (require.main === module) {
  let options: WsrepCheckOptions;
  try {
    options = parseCommandLine(process.argv.slice(2));
  } catch (err) {
    console.error(`wsrep-check: ${(err as Error).message}`);
    process.exit(2);
  }
  startWsrepCheck(options).then(
    ({ server, pool }) => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : options.port;
      process.stdout.write(`wsrep-check listening on http://${options.host}:${port}\n`);
      for (const signal of ['SIGTERM', 'SIGINT'] as const) {
        process.once(signal, () => {
          server.close();
          void pool.end().finally(() => process.exit(0));
        });
      }
    },
    (err: Error) => {
      console.error(`wsrep-check: cannot listen on ${options.host}:${options.port}: ${err.message}`);
      process.exit(1);
    },
  );
}
