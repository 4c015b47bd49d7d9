import type { Connection } from 'mysql2/promise';
import { AppProcess, assertBuilt, mapLimit, openCheckDataSource, sleep, startInstance, StartOptions, useInstanceCleanup } from '../support/instances';
import { doubleExecutions, expectExactLedgers } from '../support/invariants';
import { HttpRecorder } from './load-client';
import { PrivateMariaDb, within } from './private-mariadb';

/**
 * A focused chaos case the big scenario cannot hit reliably: clients that give up on slow
 * purchases (their HTTP timeout is shorter than the server's answer time), then a SIGTERM a
 * moment later. Found with the big scenario's SIGSTOP: an instance SIGTERMed a few seconds
 * after requests were abandoned did not exit within its bound (it waited for the keep-alive
 * connections to time out). Slowness here comes from a row lock the suite holds on the user,
 * which is deterministic where a frozen server is not. Also checks that the abandoned
 * purchases can be retried safely with their ref_id afterwards.
 */
const SHUTDOWN_TIMEOUT_MS = 5_000;
const SIGTERM_EXIT_BOUND_MS = SHUTDOWN_TIMEOUT_MS + 5_000;
const IMPATIENT_CLIENT_TIMEOUT_MS = 1_500;
const LOCK_HELD_MS = 4_000;
const PURCHASES = 24;
const START_SALDO = 10_000_000;
const DATABASE = 'ppob_chaos_aborts';

jest.setTimeout(60_000);

describe('chaos: SIGTERM shortly after clients abandoned slow purchases', () => {
  useInstanceCleanup();

  let db: PrivateMariaDb | undefined;
  let lock: Connection | undefined;
  let first: AppProcess | undefined;
  let apiKey = '';
  const recorder = new HttpRecorder();
  let abandoned = 0;

  const options = (name: string): StartOptions => ({
    name,
    env: {
      NODE_ENV: 'test',
      ALLOW_REGISTER_SALDO: 'true',
      DATABASE_URL: db!.url(DATABASE),
      DATABASE_POOL_SIZE: '8',
      LOG_LEVEL: 'log',
      PROCESSOR_INSTANCE_ID: name,
      PROCESSOR_INTERVAL_MS: '200',
      PROCESSOR_LEASE_MS: '10000',
      SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
      REQUEST_TIMEOUT_MS: '5000',
      PPOB_SIM_DELAY_MS: '20-100',
    },
  });

  beforeAll(async () => {
    assertBuilt();
    db = await PrivateMariaDb.create();
    await db.start();
    await db.createDatabase(DATABASE);
    first = await startInstance(options('chaos-abort-1'));
    const res = await recorder.request({ name: first.name, baseUrl: first.baseUrl }, 'POST', '/register', {
      body: { nama: 'Impatient reseller', email: 'impatient@example.com', saldo: START_SALDO },
      timeoutMs: 10_000,
      kind: 'register',
    });
    if (res.outcome !== 200) throw new Error(`register: ${res.outcome} ${JSON.stringify(res.json)}`);
    apiKey = res.json.api_key;
  }, 120_000);

  afterAll(async () => {
    await lock?.end().catch(() => undefined);
    await db?.destroy();
  }, 60_000);

  it('leaves purchases behind that the client gave up on while the user row was locked', async () => {
    lock = await db!.connect(5_000, DATABASE);
    await lock.query('BEGIN');
    // /beli debits with a conditional UPDATE on this row: every purchase now waits for the lock.
    await lock.query('SELECT id FROM users FOR UPDATE');
    const target = { name: first!.name, baseUrl: first!.baseUrl };
    const unlocked = sleep(LOCK_HELD_MS).then(async () => {
      await lock!.query('COMMIT');
    });
    const results = await mapLimit(Array.from({ length: PURCHASES }, (_, i) => i), PURCHASES, (i) =>
      recorder.request(target, 'POST', '/beli', {
        apiKey,
        body: { produk_id: 1, nomor_tujuan: '087800000001', ref_id: `impatient-${i}` },
        timeoutMs: IMPATIENT_CLIENT_TIMEOUT_MS,
        kind: 'beli',
        purchase: i,
      }),
    );
    abandoned = results.filter((r) => r.outcome === 'timeout').length;
    await unlocked;
    expect(abandoned).toBe(PURCHASES);
  });

  it(`exits with code 0 within ${SIGTERM_EXIT_BOUND_MS} ms of a SIGTERM sent 2 s after the lock is released`, async () => {
    expect(abandoned).toBe(PURCHASES);
    await sleep(2_000);
    const sentAt = Date.now();
    first!.child.kill('SIGTERM');
    // Wait past the bound, so a late exit is seen as what it is (the app's backstop exits 1 at the bound).
    const exit = await within(first!.exited, SIGTERM_EXIT_BOUND_MS + 5_000);
    const exitMs = Date.now() - sentAt;
    if (!exit) await first!.kill('SIGKILL');
    const verdict = exit ? `exited with code ${exit.code} signal ${exit.signal} after ${exitMs} ms` : `was still running after ${exitMs} ms and was SIGKILLed`;
    if (!exit || exit.code !== 0 || exit.signal !== null || exitMs > SIGTERM_EXIT_BOUND_MS) {
      throw new Error(`after SIGTERM the instance ${verdict}; want code 0 within ${SIGTERM_EXIT_BOUND_MS} ms\n${first!.diagnostics(6)}`);
    }
  }, 40_000);

  it('lets the abandoned purchases be retried with their ref_id: one transaksi each, executed once, ledger exact', async () => {
    const second = await startInstance(options('chaos-abort-2'));
    const target = { name: second.name, baseUrl: second.baseUrl };
    const retried = await mapLimit(Array.from({ length: PURCHASES }, (_, i) => i), 8, (i) =>
      recorder.request(target, 'POST', '/beli', {
        apiKey,
        body: { produk_id: 1, nomor_tujuan: '087800000001', ref_id: `impatient-${i}` },
        timeoutMs: 10_000,
        kind: 'beli',
        purchase: i,
      }),
    );
    expect(retried.filter((r) => r.outcome !== 200)).toEqual([]);
    const ds = await openCheckDataSource(db!.url(DATABASE));
    try {
      const [row] = await ds.query('SELECT COUNT(*) AS n, COUNT(DISTINCT ref_id) AS refs FROM transaksi');
      expect({ n: Number(row.n), refs: Number(row.refs) }).toEqual({ n: PURCHASES, refs: PURCHASES });
      const deadline = Date.now() + 30_000;
      while (Date.now() < deadline) {
        const [open] = await ds.query("SELECT COUNT(*) AS n FROM transaksi WHERE status IN ('pending', 'proses')");
        if (Number(open.n) === 0) break;
        await sleep(100);
      }
      expect(await doubleExecutions(ds)).toEqual([]);
      await expectExactLedgers(ds, START_SALDO, 1);
    } finally {
      await ds.destroy();
      await second.kill('SIGTERM').catch(() => undefined);
    }
  }, 60_000);
});
