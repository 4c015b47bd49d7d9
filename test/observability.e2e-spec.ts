import { hashKey } from '../src/users/api-key';
import { beli, get, registerUser, waitFor, waitForIdle } from './support/factories';
import { metricValue, scrape } from './support/metrics';
import { describeEachEngine, useTestApp } from './support/test-app';
import { describeFor, ENGINES } from './support/test-db';

const LONG_AGO = '2000-01-01 00:00:00.000';

/** Collects the app's JSON log lines (pino writes one string per line). */
function logSink(): { write(line: string): void; lines: string[]; records(): Array<Record<string, unknown>> } {
  const lines: string[] = [];
  return {
    lines,
    write: (line: string) => void lines.push(line),
    records: () => lines.flatMap((line) => line.split('\n').filter(Boolean)).map((line) => JSON.parse(line)),
  };
}

describeEachEngine('GET /metrics', (t) => {
  it('answers Prometheus text with every documented metric, without an API key', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    for (const name of [
      'ppob_http_request_duration_seconds',
      'ppob_transaksi_pending',
      'ppob_transaksi_oldest_pending_age_seconds',
      'ppob_transaksi_lease_expired',
      'ppob_processor_in_flight',
      'ppob_transaksi_processed_total',
      'ppob_processor_claim_duration_seconds',
      'ppob_transaksi_pickup_seconds',
      'ppob_db_transaction_retries_total',
      'ppob_db_deadlocks_total',
      'ppob_database_up',
      'ppob_database_node_ready',
      'process_resident_memory_bytes',
    ]) {
      expect(res.body).toContain(`# TYPE ${name} `);
    }
    expect(metricValue(res.body, 'ppob_database_up')).toBe(1);
    expect(metricValue(res.body, 'ppob_database_node_ready')).toBe(1);
  });

  // A single server (or SQLite) is not a Galera node, even when MariaDB was built with wsrep.
  it('exports no Galera series and no not-ready reason on a single server', async () => {
    const body = await scrape(t.app);
    expect(body).not.toMatch(/^ppob_database_wsrep_/m);
    expect(body).not.toMatch(/^ppob_database_node_not_ready\{/m);
  });

  it('counts processed purchases by final status, their pickup and the claims, and times requests by route pattern', async () => {
    const before = await scrape(t.app);
    const user = await registerUser(t.app, { saldo: 1_000_000 });
    for (const nomor of ['087800000001', '087800000001', '087800000002']) {
      expect((await beli(t.app, user.apiKey, { nomor_tujuan: nomor })).statusCode).toBe(200);
    }
    await waitForIdle(t.dataSource);
    const after = await waitFor(async () => {
      const text = await scrape(t.app);
      return (metricValue(text, 'ppob_processor_in_flight') ?? 1) === 0 ? text : undefined;
    });

    const delta = (name: string, labels: Record<string, string> = {}) => (metricValue(after, name, labels) ?? 0) - (metricValue(before, name, labels) ?? 0);
    expect(delta('ppob_transaksi_processed_total', { status: 'sukses' })).toBe(2);
    expect(delta('ppob_transaksi_processed_total', { status: 'gagal' })).toBe(1);
    expect(delta('ppob_transaksi_pickup_seconds_count')).toBe(3);
    expect(delta('ppob_processor_claimed_total')).toBe(3);
    expect(metricValue(after, 'ppob_processor_claim_duration_seconds_count')).toBeGreaterThan(0);
    expect(metricValue(after, 'ppob_http_request_duration_seconds_count', { method: 'POST', route: '/beli', status_code: '200' })).toBe(3);
    // Route patterns, not paths: one series for every /status/{id}.
    await get(t.app, user.apiKey, '/status/1');
    await get(t.app, user.apiKey, '/status/999999');
    const text = await scrape(t.app);
    expect(text).toContain('route="/status/:trx_id"');
    expect(text).not.toMatch(/route="\/status\/\d/);
  });
});

describe.each(ENGINES)('queue gauges on %s', (engine) => {
  describeFor(engine)(engine, () => {
    const t = useTestApp(engine, { PROCESSOR_ENABLED: 'false' });

    it('reports pending depth, the oldest pending age and rows past their lease, read from the database', async () => {
      const user = await registerUser(t.app, { saldo: 1_000_000 });
      for (let i = 0; i < 4; i++) expect((await beli(t.app, user.apiKey)).statusCode).toBe(200);
      await t.dataSource.query("UPDATE transaksi SET waktu = ? WHERE id = (SELECT id FROM (SELECT MIN(id) AS id FROM transaksi) m)", [LONG_AGO]);
      await t.dataSource.query(
        "UPDATE transaksi SET status = 'proses', locked_by = 'gone', locked_until = ? WHERE id = (SELECT id FROM (SELECT MAX(id) AS id FROM transaksi) m)",
        [LONG_AGO],
      );

      const text = await scrape(t.app);
      expect(metricValue(text, 'ppob_transaksi_pending')).toBe(3);
      expect(metricValue(text, 'ppob_transaksi_lease_expired')).toBe(1);
      // The oldest pending row was made to look 26+ years old.
      expect(metricValue(text, 'ppob_transaksi_oldest_pending_age_seconds')).toBeGreaterThan(25 * 365 * 24 * 3600);
    });
  });
});

describe.each(ENGINES)('METRICS_TOKEN on %s', (engine) => {
  describeFor(engine)(engine, () => {
    const t = useTestApp(engine, { METRICS_TOKEN: 'scrape-secret-1' });

    it('refuses /metrics without the bearer token, with a detail', async () => {
      for (const headers of [{}, { authorization: 'Bearer wrong' }, { authorization: 'scrape-secret-1' }]) {
        const res = await t.app.inject({ method: 'GET', url: '/metrics', headers });
        expect(res.statusCode).toBe(401);
        expect(res.json().detail).toMatch(/METRICS_TOKEN/);
      }
    });

    it('serves /metrics with the token', async () => {
      const text = await scrape(t.app, { authorization: 'Bearer scrape-secret-1' });
      expect(text).toContain('ppob_transaksi_pending');
    });
  });
});

describe.each(ENGINES)('logs on %s', (engine) => {
  describeFor(engine)(engine, () => {
    const sink = logSink();
    const t = useTestApp(engine, { LOG_LEVEL: 'debug' }, { logDestination: sink });

    it('writes one JSON access line per request with its request id, and echoes the id in x-request-id', async () => {
      const res = await t.app.inject({ method: 'GET', url: '/health', headers: { 'x-request-id': 'lb-7f3a.1' } });
      expect(res.headers['x-request-id']).toBe('lb-7f3a.1');
      const generated = await t.app.inject({ method: 'GET', url: '/health', headers: { 'x-request-id': 'bad id with spaces' } });
      expect(generated.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);

      const access = sink.records().filter((r) => r.msg === 'request' && r.route === '/health');
      expect(access.map((r) => r.reqId)).toEqual(expect.arrayContaining(['lb-7f3a.1', generated.headers['x-request-id']]));
      const line = access.find((r) => r.reqId === 'lb-7f3a.1')!;
      expect(line).toMatchObject({ level: 'info', method: 'GET', statusCode: 200 });
      expect(typeof line.ms).toBe('number');
    });

    it('never writes an API key, a private key or their hashes, through register, key rotation, purchases and refusals', async () => {
      const user = await registerUser(t.app, { saldo: 1_000_000 });
      await beli(t.app, user.apiKey);
      await beli(t.app, user.apiKey, { produk_id: 999_999 });
      await get(t.app, user.apiKey, '/saldo');
      const rotated = await t.app.inject({ method: 'POST', url: '/generate-key', headers: { 'x-api-key': user.apiKey } });
      expect(rotated.statusCode).toBe(200);
      const { api_key: newKey, private_key: newPrivate } = rotated.json();
      // The old key is refused now; a refused key must not be logged either.
      expect((await get(t.app, user.apiKey, '/saldo')).statusCode).toBe(401);
      await beli(t.app, newKey);
      await waitForIdle(t.dataSource);

      const all = sink.lines.join('');
      expect(sink.records().length).toBeGreaterThan(10);
      for (const secret of [user.apiKey, user.privateKey, newKey, newPrivate]) {
        expect(all).not.toContain(secret);
        expect(all).not.toContain(hashKey(secret));
      }
    });
  });
});

describeFor('mysql')('deadlock and lock-wait retries on mysql', () => {
  const t = useTestApp('mysql');

  it('retries a transaction that InnoDB chose as a deadlock victim, and counts it', async () => {
    const { TransactionRunner } = await import('../src/database/transaction-runner');
    const runner = t.app.get(TransactionRunner);
    const a = await registerUser(t.app);
    const b = await registerUser(t.app);
    const [ua] = await t.dataSource.query('SELECT id FROM users WHERE email = ?', [a.email]);
    const [ub] = await t.dataSource.query('SELECT id FROM users WHERE email = ?', [b.email]);
    const before = await scrape(t.app);

    // Two transactions lock the same two rows in opposite order, each waiting until the other
    // holds its first lock: InnoDB must break the cycle by rolling one of them back (1213).
    let firstLocks = 0;
    const bothHoldFirstLock = () => waitFor(async () => (firstLocks >= 2 ? true : undefined), 5_000, 'both first locks');
    const attempts = { ab: 0, ba: 0 };
    const lockInOrder = (name: 'ab' | 'ba', first: number, second: number) =>
      runner.run(async (manager) => {
        attempts[name]++;
        await manager.query('SELECT id FROM users WHERE id = ? FOR UPDATE', [first]);
        if (attempts[name] === 1) {
          firstLocks++;
          await bothHoldFirstLock();
        }
        await manager.query('SELECT id FROM users WHERE id = ? FOR UPDATE', [second]);
        return name;
      });
    await expect(Promise.all([lockInOrder('ab', ua.id, ub.id), lockInOrder('ba', ub.id, ua.id)])).resolves.toEqual(['ab', 'ba']);

    expect(attempts.ab + attempts.ba).toBe(3);
    const after = await scrape(t.app);
    const delta = (name: string, labels: Record<string, string> = {}) => (metricValue(after, name, labels) ?? 0) - (metricValue(before, name, labels) ?? 0);
    expect(delta('ppob_db_deadlocks_total')).toBe(1);
    expect(delta('ppob_db_transaction_retries_total', { reason: 'deadlock' })).toBe(1);
  });

  it('rolls back and retries a transaction whose lock wait timed out (1205), and counts it', async () => {
    const { TransactionRunner } = await import('../src/database/transaction-runner');
    const runner = t.app.get(TransactionRunner);
    const user = await registerUser(t.app, { saldo: 5_000 });
    const other = await registerUser(t.app, { saldo: 7_000 });
    const [row] = await t.dataSource.query('SELECT id FROM users WHERE email = ?', [user.email]);
    const [otherRow] = await t.dataSource.query('SELECT id FROM users WHERE email = ?', [other.email]);
    const before = await scrape(t.app);

    // Another session holds the row lock for 1.5 s; the runner's first attempt waits at most 1 s.
    const holder = t.dataSource.createQueryRunner();
    await holder.connect();
    await holder.startTransaction();
    await holder.query('SELECT id FROM users WHERE id = ? FOR UPDATE', [row.id]);
    const release = setTimeout(() => void holder.commitTransaction(), 1_500);

    let attempts = 0;
    try {
      await runner.run(async (manager) => {
        attempts++;
        await manager.query('SET SESSION innodb_lock_wait_timeout = 1');
        // A write before the wait: 1205 rolls back only the statement, so without the runner's
        // explicit ROLLBACK this +1 would survive into the retry and be applied twice.
        await manager.query('UPDATE users SET saldo = saldo + 1 WHERE id = ?', [otherRow.id]);
        await manager.query('UPDATE users SET saldo = saldo + 1 WHERE id = ?', [row.id]);
        await manager.query('SET SESSION innodb_lock_wait_timeout = DEFAULT');
      });
    } finally {
      clearTimeout(release);
      if (holder.isTransactionActive) await holder.commitTransaction();
      await holder.release();
    }

    expect(attempts).toBe(2);
    const [saldo] = await t.dataSource.query('SELECT saldo FROM users WHERE id = ?', [row.id]);
    expect(Number(saldo.saldo)).toBe(5_001);
    const [otherSaldo] = await t.dataSource.query('SELECT saldo FROM users WHERE id = ?', [otherRow.id]);
    expect(Number(otherSaldo.saldo)).toBe(7_001);
    const after = await scrape(t.app);
    expect((metricValue(after, 'ppob_db_transaction_retries_total', { reason: 'lock_wait_timeout' }) ?? 0) - (metricValue(before, 'ppob_db_transaction_retries_total', { reason: 'lock_wait_timeout' }) ?? 0)).toBe(1);
  });
});
