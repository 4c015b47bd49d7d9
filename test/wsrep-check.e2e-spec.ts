import type { Server } from 'node:http';
import type { Pool } from 'mysql2/promise';
import { parseCommandLine, startWsrepCheck } from '../src/health/wsrep-check';
import { MYSQL_TEST_URL } from './support/mysql-url';
import { describeFor } from './support/test-db';
import { freePort } from './support/instances';

/**
 * The proxy's check agent (deploy/galera/haproxy.cfg) against real servers. Its Galera answers
 * (200 on a synced node, 503 wsrep_not_primary without quorum) are exercised by the cluster
 * suite (npm run test:cluster); here: a server that is not a Galera node, and no server at all,
 * must never look like a writer.
 */
describe('wsrep-check command line', () => {
  it('reads --listen and --mysql', () => {
    expect(parseCommandLine(['--listen', '127.0.0.1:9201', '--mysql', 'mysql://check@10.0.0.11:3306'])).toEqual({
      host: '127.0.0.1',
      port: 9201,
      mysqlUrl: 'mysql://check@10.0.0.11:3306',
      timeoutMs: 2000,
    });
  });

  it.each([
    [['--mysql', 'postgres://x'], /--mysql/],
    [['--listen', 'nowhere', '--mysql', 'mysql://a@b'], /--listen/],
    [['--mysql', 'mysql://a@b', '--timeout-ms', '5'], /--timeout-ms/],
  ])('refuses %j with a message naming the option', (argv, message) => {
    expect(() => parseCommandLine(argv)).toThrow(message);
  });
});

async function answer(mysqlUrl: string): Promise<{ status: number; text: string }> {
  const port = await freePort();
  const { server, pool } = await startWsrepCheck({ host: '127.0.0.1', port, mysqlUrl, timeoutMs: 1_500 });
  try {
    const res = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(5_000) });
    return { status: res.status, text: await res.text() };
  } finally {
    await close(server, pool);
  }
}

async function close(server: Server, pool: Pool): Promise<void> {
  await new Promise<void>((resolveClose) => server.close(() => resolveClose()));
  await pool.end().catch(() => undefined);
}

describe('wsrep-check agent', () => {
  it('answers 503 unreachable when no server answers', async () => {
    const res = await answer(`mysql://root@127.0.0.1:${await freePort()}`);
    expect(res.status).toBe(503);
    expect(res.text).toMatch(/^unreachable/);
  });

  describeFor('mysql')('[mysql]', () => {
    it('answers 503 for a server that is not a Galera node (it must never be picked as the writer)', async () => {
      const res = await answer(MYSQL_TEST_URL);
      expect(res.status).toBe(503);
      expect(res.text).toMatch(/^wsrep_not_primary/);
    });
  });
});
