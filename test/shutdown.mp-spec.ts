import type { DataSource } from 'typeorm';
import {
  AppProcess,
  assertBuilt,
  ExitInfo,
  httpJson,
  mapLimit,
  openCheckDataSource,
  sleep,
  startInstance,
  StartOptions,
  useInstanceCleanup,
  waitUntilSettled,
} from './support/instances';
import { checkLedger, doubleExecutions } from './support/invariants';
import { createTestDatabase, describeFor, TestDatabase } from './support/test-db';

// Real processes on 2 cores: a generous default for the short checks; long steps set their own.
jest.setTimeout(60_000);

/**
 * SIGTERM on a real instance with provider calls in flight: it stops claiming, lets the calls it
 * started finish (within SHUTDOWN_TIMEOUT_MS), writes their results and exits 0. What it had not
 * started is left for the next instance.
 */
const FIRST = 'mp-shutdown-1';
const SECOND = 'mp-shutdown-2';
const PURCHASES = 20;
const START_SALDO = 2_000_000;
const SHUTDOWN_TIMEOUT_MS = 5_000;

describeFor('mysql')('an instance stopped with SIGTERM while purchases are in flight', () => {
  useInstanceCleanup();

  let db: TestDatabase | undefined;
  let ds: DataSource | undefined;
  let first: AppProcess | undefined;
  let second: AppProcess | undefined;
  let apiKey = '';
  let acceptedIds: number[] = [];
  let inFlightAtSigterm: number[] = [];
  let exit: ExitInfo | undefined;

  const options = (name: string): StartOptions => ({
    name,
    env: {
      NODE_ENV: 'test',
      ALLOW_REGISTER_SALDO: 'true',
      DATABASE_URL: db!.url,
      // Several specs share one server (max_connections 151 by default): keep each pool small.
      DATABASE_POOL_SIZE: '10',
      LOG_LEVEL: 'log',
      PROCESSOR_INSTANCE_ID: name,
      PROCESSOR_INTERVAL_MS: '200',
      PROCESSOR_LEASE_MS: '5000',
      PPOB_SIM_DELAY_MS: '1000',
      PPOB_SIM_SUCCESS_RATE: '0.8',
      SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
    },
  });

  beforeAll(async () => {
    assertBuilt();
    db = await createTestDatabase('mysql');
    first = await startInstance(options(FIRST));
    ds = await openCheckDataSource(db.url);
    const res = await httpJson(first.baseUrl, 'POST', '/register', {
      body: { nama: 'Reseller shutdown', email: 'mp-shutdown@example.com', saldo: START_SALDO },
    });
    if (res.status !== 200) throw new Error(`register failed: ${res.status} ${JSON.stringify(res.json)}`);
    apiKey = res.json.api_key;
  }, 90_000);

  afterAll(async () => {
    await ds?.destroy().catch(() => undefined);
    await Promise.all([first, second].map((p) => p?.kill('SIGKILL').catch(() => undefined)));
    await db?.drop();
  }, 60_000);

  it('accepts 20 purchases and starts executing them', async () => {
    const results = await mapLimit(Array.from({ length: PURCHASES }, (_, i) => i), 5, (i) =>
      httpJson(first!.baseUrl, 'POST', '/beli', {
        apiKey,
        body: { produk_id: 1 + (i % 3), nomor_tujuan: i % 2 === 0 ? '087800000001' : '087800000002', ref_id: `shutdown-${i}` },
      }),
    );
    expect(results.filter((r) => r.status !== 200)).toEqual([]);
    acceptedIds = results.map((r) => r.json.id as number);

    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      // In flight = its provider call has started (the simulated upstream holds a 'proses'
      // record). A row whose claim has committed but whose call has not started yet is handed
      // back at SIGTERM, by design; with /beli's group commit the last purchases are claimed
      // right as their answers arrive, so sampling claimed rows alone caught such rows (seen).
      const rows: Array<{ id: string }> = await ds!.query(
        `SELECT t.id FROM transaksi t JOIN ppob_sim_eksekusi e ON e.transaksi_id = t.id AND e.status = 'proses'
         WHERE t.status = 'proses' AND t.locked_by = ? ORDER BY t.id`,
        [FIRST],
      );
      inFlightAtSigterm = rows.map((r) => Number(r.id));
      if (inFlightAtSigterm.length > 0) break;
      await sleep(20);
    }
    expect(inFlightAtSigterm.length).toBeGreaterThan(0);
  }, 60_000);

  it('exits with code 0 after SIGTERM, within the shutdown bound', async () => {
    expect(inFlightAtSigterm.length).toBeGreaterThan(0);
    // kill() fails the test (and SIGKILLs) if the process is still alive after the bound plus a generous margin.
    const exiting = first!.kill('SIGTERM', SHUTDOWN_TIMEOUT_MS + 15_000);
    // While it drains (its provider calls take 1 s) it takes no new request: the listener is
    // closed (connection refused), or a kept-alive connection is told 503 SHUTTING_DOWN.
    await sleep(300);
    const stillRunning = first!.running;
    const late = await fetch(`${first!.baseUrl}/health`, { signal: AbortSignal.timeout(2_000) }).then(
      async (res) => ({ status: res.status, code: ((await res.json()) as { code?: string }).code }),
      (err: Error) => ({ error: (err.cause as { code?: string } | undefined)?.code ?? err.message }),
    );
    exit = await exiting;
    expect(exit).toEqual({ code: 0, signal: null });
    expect(stillRunning).toBe(true);
    expect([{ error: 'ECONNREFUSED' }, { status: 503, code: 'SHUTTING_DOWN' }]).toContainEqual(late);
  }, 40_000);

  it('writes the result of every purchase it had in flight before exiting, leaving none in proses', async () => {
    expect(exit).toBeDefined();
    expect(inFlightAtSigterm.length).toBeGreaterThan(0);
    const ids = inFlightAtSigterm;
    const rows: Array<{ id: string; status: string; locked_by: string | null }> = await ds!.query(
      `SELECT id, status, locked_by FROM transaksi WHERE id IN (${ids.map(() => '?').join(', ')}) ORDER BY id`,
      ids,
    );
    expect(rows.map((r) => [Number(r.id), r.status === 'sukses' || r.status === 'gagal' ? 'final' : r.status, r.locked_by])).toEqual(
      ids.map((id) => [id, 'final', null]),
    );
    // Nothing at all is left claimed by the stopped instance.
    const [left] = await ds!.query("SELECT COUNT(*) AS n FROM transaksi WHERE status = 'proses' AND locked_by = ?", [FIRST]);
    expect(Number(left.n)).toBe(0);
    // It executed them itself (the drain), rather than handing them back for someone else to run.
    const executions: Array<{ transaksi_id: string; instance_id: string }> = await ds!.query(
      `SELECT transaksi_id, instance_id FROM ppob_sim_eksekusi WHERE transaksi_id IN (${ids.map(() => '?').join(', ')}) ORDER BY transaksi_id`,
      ids,
    );
    expect(executions.map((e) => [Number(e.transaksi_id), e.instance_id])).toEqual(ids.map((id) => [id, FIRST]));
    expect(first!.errorLines()).toEqual([]);
  });

  it('lets a new instance finish all 20 purchases with the ledger intact and nothing executed twice', async () => {
    second = await startInstance(options(SECOND));
    const open = await waitUntilSettled(ds!, 20_000);
    if (open !== 0) {
      const stuck = await ds!.query("SELECT id, status, attempts, locked_by, locked_until FROM transaksi WHERE status IN ('pending', 'proses')");
      throw new Error(`${open} transaksi still open, e.g. ${JSON.stringify(stuck)}\n${first!.diagnostics()}\n${second.diagnostics()}`);
    }
    const rows: Array<{ id: string; status: string; nomor_tujuan: string }> = await ds!.query('SELECT id, status, nomor_tujuan FROM transaksi ORDER BY id');
    expect(rows.map((r) => Number(r.id))).toEqual([...acceptedIds].sort((x, y) => x - y));
    for (const r of rows) expect([Number(r.id), r.status]).toEqual([Number(r.id), r.nomor_tujuan === '087800000001' ? 'sukses' : 'gagal']);

    expect(await doubleExecutions(ds!)).toEqual([]);
    const notOnce = await ds!.query(
      `SELECT t.id, COUNT(e.id) AS n FROM transaksi t LEFT JOIN ppob_sim_eksekusi e ON e.transaksi_id = t.id
       GROUP BY t.id HAVING COUNT(e.id) <> 1`,
    );
    expect(notOnce).toEqual([]);

    const [check] = await checkLedger(ds!);
    const [charged] = await ds!.query("SELECT COALESCE(SUM(harga), 0) AS s FROM transaksi WHERE status <> 'gagal'");
    const expected = START_SALDO - Number(charged.s);
    expect(check).toEqual({ userId: check.userId, saldo: expected, ledgerSum: expected, lastSaldoAkhir: expected, expectedSaldo: expected });
    const saldo = await httpJson(second.baseUrl, 'GET', '/saldo', { apiKey });
    expect(saldo).toEqual({ status: 200, json: { saldo: expected } });
  }, 60_000);
});
