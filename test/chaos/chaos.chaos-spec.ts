import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { DataSource } from 'typeorm';
import {
  AppProcess,
  assertBuilt,
  ExitInfo,
  mapLimit,
  openCheckDataSource,
  sleep,
  startInstance,
  startInstances,
  StartOptions,
  useInstanceCleanup,
  waitUntilSettled,
} from '../support/instances';
import { Breaches, CATEGORIES, Category, checkDatabase, checkHttp, checkPurchases, DbFacts, DbWindow, RegisteredUser, SANDBOX, tallyByPeriod } from './chaos-checks';
import { HttpRecorder, Purchase, purchaseUntilDefinite, PurchaseResult, Target } from './load-client';
import { PrivateMariaDb, within } from './private-mariadb';

/**
 * Chaos suite (`npm run test:chaos`, not part of `npm test`): three real instances of the built
 * app on a private MariaDB server, 5,000 purchases over HTTP, and while they run: an instance
 * SIGKILLed and restarted, the database frozen (SIGSTOP) for 10 s, the database stopped and
 * started again, an instance SIGTERMed mid-flight and restarted. Afterwards every purchase must
 * be final, executed at most once and paid for exactly, and the HTTP answers and process exits
 * must be the ones the faults explain. See README "Chaos suite".
 */

// --- Knobs. CHAOS_SEED replays a run's purchase mix; CHAOS_PURCHASES shrinks it for a quick try.
const SEED = Number(process.env.CHAOS_SEED ?? Math.floor(Math.random() * 2 ** 31));
const USERS = 50;
const PURCHASES = Number(process.env.CHAOS_PURCHASES ?? 5_000);
/** A few users are short of saldo on purpose, so "refused: saldo insufficient" really happens under the faults. */
const THIN_USERS = 5;
const RICH_SALDO = 10_000_000; // 100 purchases of at most 51,000: never short
const THIN_SALDO = 400_000;
const CLIENT_IN_FLIGHT = 24;
/** The server answers 503 REQUEST_TIMEOUT at SERVER_DEADLINE_MS; the client waits longer, so it sees that 503 rather than giving up first. */
const SERVER_DEADLINE_MS = 5_000;
const CLIENT_TIMEOUT_MS = 10_000;
/**
 * One purchase in ten comes from an impatient client (2 s): under the database faults it gives
 * up before the server answers and retries the same ref_id while the abandoned request may still
 * commit, the case ref_id idempotency exists for.
 */
const IMPATIENT_SHARE = 0.1;
const IMPATIENT_TIMEOUT_MS = 2_000;
/** A purchase without a definite answer after this long is a breach (longer than any fault). */
const PURCHASE_BUDGET_MS = 90_000;

const LEASE_MS = 10_000;
const MAX_ATTEMPTS = 3;
const SHUTDOWN_TIMEOUT_MS = 5_000;
/**
 * A SIGTERMed instance must exit 0 within this: its drain bound plus 5 s to close the HTTP server
 * and the pool (the app's own backstop exits 1 at that point). The suite waits
 * SIGKILL_AFTER_MS before it SIGKILLs, so that a late exit is seen for what it is.
 */
const SIGTERM_EXIT_BOUND_MS = SHUTDOWN_TIMEOUT_MS + 5_000;
const SIGKILL_AFTER_MS = SIGTERM_EXIT_BOUND_MS + 5_000;
/**
 * 503 is allowed from the start of a database fault until the database answers again plus this
 * grace: the instances notice a restarted server through their pools, and requests already
 * queued behind a frozen server are answered a little after it thaws.
 */
const DB_GRACE_MS = 5_000;
/** Every accepted purchase must be final within this after the load and the faults end: lease x (attempts + 1) + margin. */
const DRAIN_TIMEOUT_MS = LEASE_MS * (MAX_ATTEMPTS + 1) + 30_000;
/**
 * Each fault starts once this share of the purchases has been answered (and at least
 * FAULT_GAP_MS after the previous fault ended): triggered by progress, not by the clock, so on
 * a slower or faster machine the faults still fall inside the load, spread over it, and the load
 * goes on after the last one (recovery under load).
 */
const FAULT_AT_PROGRESS = [0.1, 0.3, 0.5, 0.7];
/**
 * Purchases start no faster than this (they may fall behind during a fault and catch up after),
 * so the load lasts about a minute however fast the app is: long enough for the four faults,
 * their gaps, and recovery under load after the last one. Unpaced, a faster build finished the
 * load before the fourth fault could start.
 */
const LOAD_RATE_PER_S = 80;
const FAULT_GAP_MS = 5_000;
const DB_PAUSE_MS = 10_000;
const DB_DOWN_MS = 3_000;

const DATABASE = 'ppob_chaos';

interface InstanceRecord {
  proc: AppProcess;
  instanceId: string;
  startedAt: number;
  /** Set when the suite signals it; an exit without this is a crash. */
  stoppedBy?: 'SIGKILL' | 'SIGTERM' | 'SIGTERM (final)';
  signalAt?: number;
  /** When the suite saw the process end (its output streams closed). */
  exitedAt?: number;
  /** What it was holding when it did not exit after SIGTERM. */
  stuck?: string;
}

interface Slot {
  label: string;
  current: InstanceRecord;
  /** In the client's rotation: taken out at the moment the suite signals the instance, back when its replacement is healthy. */
  inRotation: boolean;
}

interface Fault {
  name: string;
  start: number;
  end?: number;
  /** The database was away during it: 503 is allowed in [start, end + DB_GRACE_MS]. */
  databaseAway: boolean;
  details: string[];
}

jest.setTimeout(30_000);

describe('chaos: three instances on a private MariaDB under load and faults', () => {
  useInstanceCleanup();

  const t0 = Date.now();
  const logDir = process.env.CHAOS_LOG_DIR ?? mkdtempSync(join(tmpdir(), 'ppob-chaos-logs-'));
  const recorder = new HttpRecorder();
  const breaches = new Breaches();
  const instances: InstanceRecord[] = [];
  const slots: Slot[] = [];
  const faults: Fault[] = [];
  const registered: RegisteredUser[] = [];
  const apiKeys: string[] = [];
  let db: PrivateMariaDb | undefined;
  let ds: DataSource | undefined;
  let results: PurchaseResult[] = [];
  let facts: DbFacts | undefined;
  let loadStart = 0;
  let loadEnd = 0;
  /** Purchases with a definite answer (or given up) so far: drives the fault schedule. */
  let answered = 0;
  let openAtLoadEnd: number | undefined;
  let drainedAt: number | null = null;
  let checksDone = 0;
  let finalShutdown: string[] = [];
  let runError: unknown;
  /** Setup milestones, for the summary. */
  const marks: Array<[string, number]> = [];

  const at = (ms: number | undefined) => (ms === undefined ? '?' : `+${((ms - t0) / 1000).toFixed(1)}s`);
  const clock = (ms: number | undefined) => (ms === undefined ? '?' : new Date(ms).toISOString().slice(11, 23));

  const instanceOptions = (instanceId: string): StartOptions => ({
    name: instanceId,
    env: {
      NODE_ENV: 'test',
      ALLOW_REGISTER_SALDO: 'true',
      DATABASE_URL: db!.url(DATABASE),
      DATABASE_POOL_SIZE: '8',
      // A frozen server accepts TCP but never greets: a new connection must give up, not hang.
      DATABASE_CONNECT_TIMEOUT_MS: '3000',
      REQUEST_TIMEOUT_MS: String(SERVER_DEADLINE_MS),
      LOG_LEVEL: 'log',
      PROCESSOR_INSTANCE_ID: instanceId,
      PROCESSOR_INTERVAL_MS: '200',
      PROCESSOR_LEASE_MS: String(LEASE_MS),
      PROCESSOR_CONCURRENCY: '16',
      PROCESSOR_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
      SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
      PPOB_SIM_DELAY_MS: '20-300',
      PPOB_SIM_SUCCESS_RATE: '0.8',
    },
  });

  const track = (proc: AppProcess): InstanceRecord => {
    const record: InstanceRecord = { proc, instanceId: proc.name, startedAt: Date.now() };
    void proc.exited.then(() => {
      record.exitedAt = Date.now();
    });
    instances.push(record);
    return record;
  };

  const rotation = (): Target[] => slots.filter((s) => s.inRotation).map((s) => ({ name: s.current.instanceId, baseUrl: s.current.proc.baseUrl }));

  /** One statement on a fresh connection: the suite's own view of the database, unaffected by the instances' pools. */
  const dbQuery = async (sql: string, params: unknown[] = []): Promise<any[]> => {
    const connection = await db!.connect(3_000, DATABASE);
    try {
      const [rows] = await connection.query(sql, params);
      return rows as any[];
    } finally {
      await connection.end().catch(() => undefined);
    }
  };

  /**
   * Evidence for an instance still running after SIGTERM, taken before it is SIGKILLed: its TCP
   * connections (HTTP clients on its port, pool connections to the database) and what the
   * database is doing on each of those pool connections.
   */
  const stuckDiagnostics = async (record: InstanceRecord): Promise<string> => {
    const lines: string[] = [];
    const dbLocalPorts = new Set<string>();
    try {
      const { stdout } = await promisify(execFile)('ss', ['-tnpH'], { timeout: 5_000 });
      for (const line of stdout.split('\n')) {
        if (!line.includes(`pid=${record.proc.pid},`)) continue;
        const [state, recvQ, sendQ, local, peer] = line.trim().split(/\s+/);
        const role = peer.endsWith(`:${db!.port}`) ? 'db pool' : local.endsWith(`:${record.proc.port}`) ? 'http' : 'other';
        if (role === 'db pool') dbLocalPorts.add(local.split(':').pop()!);
        lines.push(`  socket ${role} ${state} ${local} -> ${peer} recv-q ${recvQ} send-q ${sendQ}`);
      }
    } catch (err) {
      lines.push(`  (ss failed: ${(err as Error).message})`);
    }
    if (lines.length === 0) lines.push('  no TCP socket open');
    try {
      const rows = await dbQuery('SELECT ID, HOST, COMMAND, TIME, STATE, INFO FROM information_schema.PROCESSLIST WHERE DB = ?', [DATABASE]);
      for (const row of rows) {
        if (!dbLocalPorts.has(String(row.HOST).split(':').pop()!)) continue;
        lines.push(`  db connection ${row.ID} from ${row.HOST}: ${row.COMMAND} ${row.TIME}s ${row.STATE ?? ''} ${row.INFO ? String(row.INFO).slice(0, 120) : ''}`);
      }
      const trx = await dbQuery(
        'SELECT trx_mysql_thread_id AS thread, trx_state AS state, trx_started AS started, trx_rows_locked AS rows_locked, LEFT(trx_query, 100) AS query FROM information_schema.INNODB_TRX',
      );
      for (const t of trx) lines.push(`  open InnoDB transaction on connection ${t.thread}: ${t.state} since ${t.started}, ${t.rows_locked} rows locked, ${t.query ?? 'idle'}`);
    } catch (err) {
      lines.push(`  (processlist failed: ${(err as Error).message})`);
    }
    return lines.join('\n');
  };

  const beginFault = (name: string, databaseAway: boolean): Fault => {
    const fault: Fault = { name, start: Date.now(), databaseAway, details: [] };
    faults.push(fault);
    return fault;
  };

  /** Replaces the slot's instance by a new process (new port), and puts it back in the rotation when healthy. */
  const restart = async (slot: Slot, instanceId: string, fault: Fault): Promise<void> => {
    const proc = await startInstance(instanceOptions(instanceId));
    slot.current = track(proc);
    slot.inRotation = true;
    fault.details.push(`restarted as ${instanceId} (pid ${proc.pid}), healthy ${at(Date.now())}`);
  };

  // ---------------------------------------------------------------------------------- faults
  /** Waits until `share` of the purchases are answered and the gap since the last fault has passed; false if the load is over. */
  const waitForTurn = async (share: number, stop: () => boolean): Promise<boolean> => {
    const previousEnd = faults.length ? faults[faults.length - 1].end! : 0;
    while (!stop() && (answered < share * PURCHASES || Date.now() < previousEnd + FAULT_GAP_MS)) await sleep(50);
    return !stop();
  };

  const faultSchedule = async (stop: () => boolean): Promise<void> => {
    if (!(await waitForTurn(FAULT_AT_PROGRESS[0], stop))) return;

    // 1. SIGKILL an instance; restart it with the SAME instance id (a supervisor restarting a
    //    fixed-identity replica): the new process must cope with rows still locked_by its id.
    {
      const slot = slots[0];
      const victim = slot.current;
      const fault = beginFault(`SIGKILL ${victim.instanceId}, restart with the same id`, false);
      slot.inRotation = false;
      victim.stoppedBy = 'SIGKILL';
      victim.signalAt = fault.start;
      const held = await dbQuery("SELECT COUNT(*) AS n FROM transaksi WHERE status = 'proses' AND locked_by = ?", [victim.instanceId]).catch(() => [{ n: '?' }]);
      const httpInFlight = recorder.inFlight.get(victim.instanceId) ?? 0;
      await victim.proc.kill('SIGKILL');
      fault.details.push(`pid ${victim.proc.pid} killed holding ~${held[0].n} rows in proses (postponed retries included) and ${httpInFlight} HTTP requests in flight`);
      await sleep(2_000);
      await restart(slot, victim.instanceId, fault);
      fault.end = Date.now();
    }
    if (!(await waitForTurn(FAULT_AT_PROGRESS[1], stop))) return;

    // 2. Freeze the database: connections stay open and every query hangs.
    {
      const fault = beginFault(`SIGSTOP mariadbd for ${DB_PAUSE_MS / 1000} s, then SIGCONT`, true);
      db!.pause();
      await sleep(DB_PAUSE_MS);
      db!.resume();
      fault.details.push(`SIGCONT ${at(Date.now())}`);
      fault.end = await db!.waitUntilAnswering(30_000);
      fault.details.push(`answering again ${at(fault.end)}`);
    }
    if (!(await waitForTurn(FAULT_AT_PROGRESS[2], stop))) return;

    // 3. Stop the database cleanly and start it again on the same datadir and port.
    {
      const fault = beginFault(`SIGTERM mariadbd, wait for its exit, start it again ${DB_DOWN_MS / 1000} s later`, true);
      const exit = await db!.stop(60_000);
      fault.details.push(`exited ${at(exit.at)} (code ${exit.code}, signal ${exit.signal}${exit.killed ? ', had to be SIGKILLed' : ''})`);
      await sleep(DB_DOWN_MS);
      await db!.start();
      fault.end = Date.now();
      fault.details.push(`restarted, answering ${at(fault.end)}`);
    }
    if (!(await waitForTurn(FAULT_AT_PROGRESS[3], stop))) return;

    // 4. SIGTERM an instance while it has purchases in flight; it must drain and exit 0 within
    //    its bound. Restarted under a NEW instance id (a rolling deploy replacing the replica).
    {
      const slot = slots[1];
      const victim = slot.current;
      // Mid-flight: wait (bounded) until it holds claimed rows, so the drain has work to do.
      let held = 0;
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline && !stop()) {
        held = Number((await dbQuery("SELECT COUNT(*) AS n FROM transaksi WHERE status = 'proses' AND locked_by = ?", [victim.instanceId]))[0].n);
        if (held > 0) break;
        await sleep(20);
      }
      const fault = beginFault(`SIGTERM ${victim.instanceId} mid-flight, restart with a new id`, false);
      slot.inRotation = false;
      victim.stoppedBy = 'SIGTERM';
      victim.signalAt = fault.start;
      const httpInFlight = recorder.inFlight.get(victim.instanceId) ?? 0;
      victim.proc.child.kill('SIGTERM');
      const exit = await within(victim.proc.exited, SIGKILL_AFTER_MS);
      if (exit) {
        fault.details.push(`pid ${victim.proc.pid} held ${held} rows in proses (postponed retries included) and ${httpInFlight} HTTP requests in flight; exited ${Date.now() - fault.start} ms after SIGTERM with code ${exit.code} signal ${exit.signal}`);
      } else {
        victim.stuck = await stuckDiagnostics(victim);
        fault.details.push(`pid ${victim.proc.pid} still running ${SIGKILL_AFTER_MS} ms after SIGTERM: SIGKILLed`);
        await victim.proc.kill('SIGKILL');
      }
      await restart(slot, `${victim.instanceId}-r`, fault);
      fault.end = Date.now();
    }
  };

  // ------------------------------------------------------------------------------- the run
  beforeAll(async () => {
    try {
      await run();
    } catch (err) {
      // Kept for the summary; the `it`s below fail on it.
      runError = err;
    }
  }, 15 * 60_000);

  const run = async (): Promise<void> => {
    assertBuilt();
    db = await PrivateMariaDb.create();
    await db.start();
    await db.createDatabase(DATABASE);
    marks.push(['database up', Date.now()]);

    // Three instances boot at once and race through the migrations (guarded by the migration lock row).
    const procs = await startInstances(3, (i) => instanceOptions(`chaos-${'abc'[i]}`));
    procs.forEach((proc, i) => slots.push({ label: `slot ${i + 1}`, current: track(proc), inRotation: true }));
    marks.push(['3 instances healthy', Date.now()]);

    await mapLimit(
      Array.from({ length: USERS }, (_, i) => i),
      5,
      async (i) => {
        const startSaldo = i < USERS - THIN_USERS ? RICH_SALDO : THIN_SALDO;
        const email = `chaos-${i}@example.com`;
        const target = rotation()[i % slots.length];
        const res = await recorder.request(target, 'POST', '/register', {
          body: { nama: `Chaos reseller ${i}`, email, saldo: startSaldo },
          timeoutMs: 10_000,
          kind: 'register',
        });
        if (res.outcome !== 200) throw new Error(`register ${i} on ${target.name}: ${res.outcome} ${JSON.stringify(res.json)}`);
        registered[i] = { email, startSaldo };
        apiKeys[i] = res.json.api_key;
      },
    );

    marks.push([`${USERS} users registered`, Date.now()]);
    const purchases = makePurchases(SEED);
    let stopFaults = false;
    let faultError: unknown;
    loadStart = Date.now();
    const faultRun = faultSchedule(() => stopFaults).catch((err) => {
      faultError = err;
    });
    results = await mapLimit(purchases, CLIENT_IN_FLIGHT, async (purchase, i) => {
      const startAt = loadStart + (i * 1000) / LOAD_RATE_PER_S;
      if (Date.now() < startAt) await sleep(startAt - Date.now());
      const result = await purchaseUntilDefinite(recorder, purchase, {
        apiKey: apiKeys[purchase.user],
        targets: rotation,
        timeoutMs: purchase.impatient ? IMPATIENT_TIMEOUT_MS : CLIENT_TIMEOUT_MS,
        budgetMs: PURCHASE_BUDGET_MS,
        // A broken fault schedule ends the load early instead of leaving it to retry for minutes.
        stop: () => faultError !== undefined,
      });
      answered++;
      return result;
    });
    loadEnd = Date.now();
    stopFaults = true;
    await faultRun;
    if (faultError) throw faultError;

    // Drain: every accepted purchase final within the bound.
    ds = await openCheckDataSource(db.url(DATABASE));
    openAtLoadEnd = Number((await ds.query("SELECT COUNT(*) AS n FROM transaksi WHERE status IN ('pending', 'proses')"))[0].n);
    const open = await waitUntilSettled(ds, DRAIN_TIMEOUT_MS - (Date.now() - loadEnd));
    if (open === 0) drainedAt = Date.now();

    // Unexpected exits are judged before the suite stops the instances itself.
    for (const record of instances) {
      if (record.proc.exitInfo && !record.stoppedBy) {
        breaches.add('processes', `${record.instanceId} (pid ${record.proc.pid}) exited by itself: code ${record.proc.exitInfo.code} signal ${record.proc.exitInfo.signal}\n${record.proc.diagnostics(15)}`);
      }
    }

    // Stop the survivors the way a deploy would; each must exit 0 within the bound.
    finalShutdown = await Promise.all(
      slots.map(async (slot) => {
        const record = slot.current;
        if (!record.proc.running) return `${record.instanceId}: already gone`;
        record.stoppedBy = 'SIGTERM (final)';
        record.signalAt = Date.now();
        slot.inRotation = false;
        record.proc.child.kill('SIGTERM');
        const exit = await within(record.proc.exited, SIGKILL_AFTER_MS);
        if (!exit) {
          record.stuck = await stuckDiagnostics(record);
          await record.proc.kill('SIGKILL');
        }
        return `${record.instanceId}: ${exit ? `exit code ${exit.code} signal ${exit.signal} after ${Date.now() - record.signalAt} ms` : 'still running after the bound, SIGKILLed'}`;
      }),
    );

    judge();
    facts = await checkDatabase(breaches, ds, results, registered);
    checksDone = Date.now();
  };

  /** Everything judged from the suite's own records (the database checks come after). */
  const judge = (): void => {
    checkPurchases(breaches, results);
    if (drainedAt === null) {
      breaches.add('transaksi', `not every accepted purchase was final ${DRAIN_TIMEOUT_MS} ms after the load ended (see the transaksi breaches for which)`);
    }

    const windows: DbWindow[] = faults.filter((f) => f.databaseAway).map((f) => ({ name: f.name, start: f.start, end: (f.end ?? Date.now()) + DB_GRACE_MS }));
    const sigtermAt = new Map(
      instances.filter((r) => r.stoppedBy === 'SIGTERM' || r.stoppedBy === 'SIGTERM (final)').map((r) => [r.instanceId, r.signalAt!]),
    );
    checkHttp(breaches, recorder.events, windows, sigtermAt, t0);

    for (const record of instances) {
      if (record.stoppedBy !== 'SIGTERM' && record.stoppedBy !== 'SIGTERM (final)') continue;
      const exit = record.proc.exitInfo as ExitInfo | null;
      const took = exit ? record.exitedAt! - record.signalAt! : Infinity;
      if (!exit || exit.code !== 0 || exit.signal !== null || took > SIGTERM_EXIT_BOUND_MS) {
        breaches.add(
          'processes',
          `${record.instanceId} (pid ${record.proc.pid}) after ${record.stoppedBy}: ${exit ? `code ${exit.code} signal ${exit.signal} after ${took} ms` : 'did not exit'} (want code 0 within ${SIGTERM_EXIT_BOUND_MS} ms)` +
            `${record.stuck ? `\nstill open at the bound:\n${record.stuck}` : ''}\n${record.proc.diagnostics(8)}`,
        );
      }
    }
    for (const exit of db!.exits) {
      if (!exit.expected) breaches.add('processes', `mariadbd exited without being asked at ${at(exit.at)}: code ${exit.code} signal ${exit.signal}\n${db!.errorLogTail(20)}`);
    }

    if (faults.length !== 4) breaches.add('suite', `only ${faults.length} of 4 faults ran`);
    for (const fault of faults) {
      if (fault.start > loadEnd) breaches.add('suite', `fault "${fault.name}" started ${at(fault.start)}, after the load had ended (${at(loadEnd)}): the load is too fast for the schedule`);
    }
  };

  // ------------------------------------------------------------------------------ cleanup
  afterAll(async () => {
    const text = summary();
    process.stdout.write(`\n${text}\n`);
    const failed = runError !== undefined || breaches.total > 0;
    try {
      writeFileSync(join(logDir, 'summary.txt'), `${text}\n`);
      writeFileSync(join(logDir, 'http-events.jsonl'), recorder.events.map((e) => JSON.stringify(e)).join('\n') + '\n');
      for (const record of instances) {
        const base = join(logDir, `${record.instanceId}.pid${record.proc.pid}`);
        writeFileSync(`${base}.stdout.log`, record.proc.stdout());
        writeFileSync(`${base}.stderr.log`, record.proc.stderr());
      }
      if (db) copyFileSync(db.errorLogPath, join(logDir, 'mariadbd.err'));
    } catch (err) {
      process.stdout.write(`could not write the logs to ${logDir}: ${(err as Error).message}\n`);
    }
    await ds?.destroy().catch(() => undefined);
    await Promise.all(instances.map((r) => r.proc.kill('SIGKILL').catch(() => undefined)));
    await db?.destroy();
    if (failed || process.env.CHAOS_KEEP_LOGS === '1' || process.env.CHAOS_LOG_DIR) {
      process.stdout.write(`chaos logs kept in ${logDir}\n`);
    } else {
      rmSync(logDir, { recursive: true, force: true });
    }
  }, 120_000);

  // -------------------------------------------------------------------------------- checks
  it('runs the whole scenario: private MariaDB, three instances, load, four faults, drain', () => {
    if (runError) throw runError;
    expect(faults).toHaveLength(4);
  });

  for (const category of Object.keys(CATEGORIES) as Category[]) {
    it(`no breach: ${CATEGORIES[category]}`, () => {
      if (runError) throw new Error('the scenario did not complete (see the first test)');
      expect(breaches.of(category)).toEqual([]);
    });
  }

  // ------------------------------------------------------------------------------- summary
  const summary = (): string => {
    const lines: string[] = [];
    const end = Date.now();
    lines.push('='.repeat(100));
    lines.push(`CHAOS SUMMARY  seed ${SEED} (CHAOS_SEED=${SEED} replays the purchase mix)`);
    lines.push(`started ${new Date(t0).toISOString()}; times below are seconds since then (+s) and UTC clock`);
    if (db) lines.push(`database: private MariaDB ${db.version} on 127.0.0.1:${db.port}, datadir under ${db.dir} (removed at the end)`);
    lines.push(
      `instances: ${instances.map((r) => `${r.instanceId} pid ${r.proc.pid}${r.stoppedBy ? ` [${r.stoppedBy} ${at(r.signalAt)}]` : ''}`).join(', ')}`,
    );
    if (runError) lines.push(`SCENARIO DID NOT COMPLETE: ${(runError as Error).stack ?? String(runError)}`);

    const accepted = results.filter((r) => r.result === 'accepted');
    const refused = results.filter((r) => r.result === 'refused');
    const undecided = results.filter((r) => r.result === 'undecided');
    const refusedBy = countBy(refused, (r) => `${r.status} ${r.code ?? ''}`.trim());
    const retried = results.filter((r) => r.requests > 1);
    lines.push('');
    lines.push(
      `purchases: ${results.length} attempted, ${accepted.length} accepted, ${refused.length} refused (${fmtCounts(refusedBy) || 'none'}), ${undecided.length} undecided`,
    );
    lines.push(`  retried with the same ref_id: ${retried.length} purchases, ${retried.reduce((n, r) => n + r.requests - 1, 0)} extra requests, at most ${Math.max(0, ...results.map((r) => r.requests))} requests for one`);
    const impatient = results.filter((r) => r.purchase.impatient);
    const gaveUp = new Set(recorder.events.filter((e) => e.outcome === 'timeout' && e.timeoutMs === IMPATIENT_TIMEOUT_MS).map((e) => e.purchase));
    lines.push(`  impatient clients (${IMPATIENT_TIMEOUT_MS} ms timeout): ${impatient.length} purchases, ${gaveUp.size} of them abandoned a request and retried it`);
    lines.push(`  load: ${at(loadStart)} to ${at(loadEnd)} (${((loadEnd - loadStart) / 1000).toFixed(1)} s), ${CLIENT_IN_FLIGHT} in flight at most, client timeout ${CLIENT_TIMEOUT_MS} ms (server deadline ${SERVER_DEADLINE_MS} ms)`);
    if (facts) {
      lines.push(`final: ${facts.sukses} sukses, ${facts.gagal} gagal (${facts.gagalUnexecuted} of them never executed, e.g. the upstream-error number), ${facts.open} not final; ${facts.executions} provider executions`);
      const bySandbox = countBy(facts.transaksi, (t) => (t.nomor === SANDBOX.SUKSES ? 'sukses-number' : t.nomor === SANDBOX.GAGAL ? 'gagal-number' : t.nomor === SANDBOX.UPSTREAM_ERROR ? 'upstream-error-number' : 'other') + ':' + t.status);
      lines.push(`  by number: ${fmtCounts(bySandbox)}`);
    }

    lines.push('');
    lines.push('faults:');
    faults.forEach((f, i) => {
      lines.push(`  ${i + 1}. ${f.name}: ${at(f.start)} (${clock(f.start)}) to ${at(f.end)} (${clock(f.end)})${f.databaseAway ? `; 503 allowed until ${at((f.end ?? 0) + DB_GRACE_MS)}` : ''}`);
      for (const d of f.details) lines.push(`       ${d}`);
    });
    const lastFaultEnd = Math.max(0, ...faults.map((f) => f.end ?? 0));
    if (openAtLoadEnd !== undefined) lines.push(`open (pending/proses) when the load and the faults were over: ${openAtLoadEnd}`);
    if (drainedAt) {
      lines.push(`drain: every accepted purchase final at ${at(drainedAt)}: ${((drainedAt - lastFaultEnd) / 1000).toFixed(1)} s after the last fault ended, ${((drainedAt - loadEnd) / 1000).toFixed(1)} s after the load ended`);
    } else if (loadEnd) {
      lines.push(`drain: NOT every accepted purchase was final ${DRAIN_TIMEOUT_MS / 1000} s after the load ended`);
    }
    if (finalShutdown.length) lines.push(`final SIGTERM: ${finalShutdown.join('; ')}`);

    lines.push('');
    lines.push(`HTTP answers by period (answer time; fault periods include the ${DB_GRACE_MS / 1000} s grace after database faults):`);
    const periods = faults.map((f, i) => ({ name: `${i + 1}. ${f.name}`, start: f.start, end: (f.end ?? Date.now()) + (f.databaseAway ? DB_GRACE_MS : 0) }));
    for (const [name, tally] of tallyByPeriod(recorder.events, periods)) {
      const n503 = Object.entries(tally).reduce((n, [k, v]) => (k.startsWith('503') ? n + v : n), 0);
      lines.push(`  ${name}: ${fmtCounts(tally) || 'no request'}${n503 ? `  <- ${n503} x 503` : ''}`);
    }
    const errorLines = instances.map((r) => `${r.instanceId}#${r.proc.pid}: ${r.proc.errorLines().length}`);
    lines.push(`error log lines per instance: ${errorLines.join(', ')}`);
    // The distinct messages, numbers blanked, most frequent first: what went wrong, in short.
    const distinct = countBy(
      instances.flatMap((r) => r.proc.errorLines()),
      (line) => {
        let msg = line;
        try {
          msg = JSON.parse(line).msg ?? line;
        } catch {
          // a plain stderr line
        }
        return String(msg).replace(/\d+/g, 'N').slice(0, 140);
      },
    );
    for (const [msg, n] of Object.entries(distinct).sort(([, a], [, b]) => b - a).slice(0, 6)) lines.push(`    ${n} x ${msg}`);
    // Not breaches by the rules above, but worth a look: the client gave up waiting, or the
    // connection failed, while no fault explains it.
    const unexplained = recorder.events.filter(
      (e) =>
        typeof e.outcome !== 'number' && e.timeoutMs === CLIENT_TIMEOUT_MS && !periods.some((p) => e.sentAt <= p.end && e.receivedAt >= p.start),
    );
    lines.push(
      `timeouts / connection errors of patient clients outside every fault period: ${unexplained.length}${unexplained
        .slice(0, 5)
        .map((e) => `\n    ${e.outcome} ${e.kind} #${e.purchase} to ${e.instance}, sent ${at(e.sentAt)}, gave up ${at(e.receivedAt)} (${e.error})`)
        .join('')}`,
    );

    lines.push('');
    lines.push(`setup: ${marks.map(([name, ms]) => `${name} ${at(ms)}`).join(', ')}`);
    lines.push(
      `durations: setup ${loadStart ? ((loadStart - t0) / 1000).toFixed(1) : '?'} s, load ${loadEnd ? ((loadEnd - loadStart) / 1000).toFixed(1) : '?'} s, drain ${drainedAt ? ((drainedAt - loadEnd) / 1000).toFixed(1) : '?'} s, checks ${checksDone && drainedAt ? ((checksDone - drainedAt) / 1000).toFixed(1) : '?'} s, total ${((end - t0) / 1000).toFixed(1)} s`,
    );
    lines.push('');
    if (breaches.total === 0 && !runError) {
      lines.push('BREACHES: no breach');
    } else {
      lines.push(`BREACHES: ${breaches.total}`);
      for (const category of Object.keys(CATEGORIES) as Category[]) {
        const list = breaches.of(category);
        if (list.length === 0) continue;
        lines.push(`  [${category}] ${list.length} x (${CATEGORIES[category]})`);
        for (const b of list.slice(0, 25)) lines.push(`    - ${b.replace(/\n/g, '\n      ')}`);
        if (list.length > 25) lines.push(`    ... and ${list.length - 25} more (summary.txt in the log dir has them all)`);
      }
    }
    lines.push('='.repeat(100));
    return lines.join('\n');
  };
});

/** The purchase mix, reproducible from the seed: round-robin over users, mixed sandbox outcomes and products. */
function makePurchases(seed: number): Purchase[] {
  const random = mulberry32(seed);
  const perUser = Math.ceil(PURCHASES / USERS);
  const purchases: Purchase[] = [];
  for (let k = 0; k < perUser; k++) {
    for (let user = 0; user < USERS && purchases.length < PURCHASES; user++) {
      const r = random();
      const kind: Purchase['kind'] = r < 0.25 ? 'sukses' : r < 0.4 ? 'gagal' : r < 0.5 ? 'upstream-error' : r < 0.51 ? 'bad-produk' : 'normal';
      const nomor =
        kind === 'sukses'
          ? SANDBOX.SUKSES
          : kind === 'gagal'
            ? SANDBOX.GAGAL
            : kind === 'upstream-error'
              ? SANDBOX.UPSTREAM_ERROR
              : `0812${String(Math.floor(random() * 1e8)).padStart(8, '0')}`;
      purchases.push({
        index: purchases.length,
        user,
        refId: `chaos-${seed}-u${user}-p${k}`,
        // 99 does not exist: a definite 422 the client must not retry.
        produkId: kind === 'bad-produk' ? 99 : 1 + Math.floor(random() * 3),
        nomor,
        kind,
        impatient: random() < IMPATIENT_SHARE,
      });
    }
  }
  return purchases;
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function countBy<T>(items: T[], key: (item: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
}

function fmtCounts(counts: Record<string, number>): string {
  return Object.entries(counts)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}: ${v}`)
    .join(', ');
}

