import type { DataSource } from 'typeorm';
import {
  AppProcess,
  assertBuilt,
  httpJson,
  mapLimit,
  openCheckDataSource,
  sleep,
  startInstance,
  StartOptions,
  useInstanceCleanup,
  waitUntilSettled,
} from '../support/instances';
import { metricValue } from '../support/metrics';
import { Breaches, checkDatabase, checkHttp, checkPurchases, DbFacts, DbWindow, RegisteredUser, SANDBOX } from '../chaos/chaos-checks';
import { HttpEvent, HttpRecorder, Purchase, purchaseUntilDefinite, PurchaseResult, Target } from '../chaos/load-client';
import { GaleraNode, missingClusterTools, PrivateGalera } from './private-galera';

/**
 * Cluster suite (`npm run test:cluster`, not part of `npm test`): a three-node MariaDB Galera
 * cluster of its own behind HAProxy (deploy/galera/), two real instances of the built app through
 * the proxy, purchases at a steady rate, and while they run:
 *   1. the writer node is SIGKILLed: the proxy moves to the next node; the service is back within
 *      BACK_WITHIN_MS; no purchase lost or executed twice;
 *   2. the killed node is brought back (recovered position, IST): it rejoins, and the writes stay
 *      on one node (no failback, so never two writers);
 *   3. quorum is taken away (the two other nodes frozen, as a partition would): the writer says
 *      1047 to writes, the service answers 503 (never 500), /health is down (the instance that
 *      talks to the node directly says why: wsrep_not_primary); when the nodes thaw the cluster
 *      is Primary again and the service is back within BACK_WITHIN_MS.
 * Afterwards every purchase is final, executed at most once, and every saldo exact. The figures
 * (unavailable seconds, 503s, the slowest request) are printed. See docs/cluster.md.
 */

const MISSING = missingClusterTools();
const REQUIRED = process.env.REQUIRE_CLUSTER === '1';
if (MISSING.length > 0) {
  const bar = '!'.repeat(78);
  process.stdout.write(
    `\n${bar}\n[cluster suite] ${REQUIRED ? 'CANNOT RUN' : 'SKIPPED'}: missing ${MISSING.join(', ')}.\n` +
      `[cluster suite] Install with: apt-get install -y galera-4 haproxy rsync\n${bar}\n`,
  );
}
const describeCluster = MISSING.length > 0 && !REQUIRED ? describe.skip : describe;

const USERS = 20;
const START_SALDO = 20_000_000;
const LOAD_RATE_PER_S = 40;
const CLIENT_IN_FLIGHT = 16;
const SERVER_DEADLINE_MS = 5_000;
const CLIENT_TIMEOUT_MS = 10_000;
const PURCHASE_BUDGET_MS = 120_000;
const LEASE_MS = 10_000;
const MAX_ATTEMPTS = 3;
/** The service must take purchases again within this after the writer dies, or after quorum returns. */
const BACK_WITHIN_MS = 30_000;
/** 503 is allowed from a fault until the service is back plus this (requests queued behind the fault). */
const GRACE_MS = 5_000;
const CALM_MS = 8_000;
const DATABASE = 'ppob_cluster';

interface Phase {
  name: string;
  start: number;
  /** When the fault stopped: the kill is instant; the freeze lasts until the thaw. */
  faultEndedAt?: number;
  /** When a purchase sent after the fault ended was first accepted again. */
  backAt?: number;
  end?: number;
  notes: string[];
}

jest.setTimeout(30_000);

describeCluster('cluster: two instances on a three-node Galera cluster behind HAProxy', () => {
  useInstanceCleanup();

  const recorder = new HttpRecorder();
  const breaches = new Breaches();
  const phases: Phase[] = [];
  const registered: RegisteredUser[] = [];
  const apiKeys: string[] = [];
  const writerSamples: Array<{ at: number; nodesWithAppConnections: string[] }> = [];
  let galera: PrivateGalera | undefined;
  let instances: AppProcess[] = [];
  let observer: AppProcess | undefined;
  let ds: DataSource | undefined;
  let results: PurchaseResult[] = [];
  let facts: DbFacts | undefined;
  let runError: unknown;
  let t0 = 0;
  let quorumHealth: { observer?: { status: number; json: any }; viaProxy: Array<{ status: number; json: any }> } = { viaProxy: [] };
  let rejoinNode = '';

  const targets = (): Target[] => instances.map((proc) => ({ name: proc.name, baseUrl: proc.baseUrl }));

  const instanceOptions = (name: string, databaseUrl: string, processor = true): StartOptions => ({
    name,
    readyTimeoutMs: 90_000,
    env: {
      NODE_ENV: 'test',
      ALLOW_REGISTER_SALDO: 'true',
      DATABASE_URL: databaseUrl,
      DATABASE_POOL_SIZE: '8',
      DATABASE_CONNECT_TIMEOUT_MS: '3000',
      REQUEST_TIMEOUT_MS: String(SERVER_DEADLINE_MS),
      LOG_LEVEL: 'warn',
      PROCESSOR_ENABLED: processor ? 'true' : 'false',
      PROCESSOR_INSTANCE_ID: name,
      PROCESSOR_INTERVAL_MS: '200',
      PROCESSOR_LEASE_MS: String(LEASE_MS),
      PROCESSOR_CONCURRENCY: '16',
      PROCESSOR_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
      PPOB_SIM_DELAY_MS: '20-200',
      PPOB_SIM_SUCCESS_RATE: '0.8',
    },
  });

  /** The node(s) holding the app's connections right now: the writer. */
  const nodesWithAppConnections = async (): Promise<string[]> => {
    const names: string[] = [];
    for (const node of galera!.nodes) {
      if (!node.running || node.paused) continue;
      try {
        if ((await node.appConnections(DATABASE)) > 0) names.push(node.name);
      } catch {
        // a node that does not answer holds nobody's writes
      }
    }
    return names;
  };

  const currentWriter = async (): Promise<GaleraNode> => {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const names = await nodesWithAppConnections();
      if (names.length === 1) return galera!.nodes.find((n) => n.name === names[0])!;
      if (Date.now() > deadline) throw new Error(`expected the app's connections on one node, found them on [${names.join(', ')}]`);
      await sleep(250);
    }
  };

  /** Resolves with the time the first purchase sent after `since` was accepted. */
  const backAfter = async (since: number, timeoutMs: number): Promise<number | undefined> => {
    const deadline = since + timeoutMs;
    while (Date.now() < deadline) {
      const ok = recorder.events.find((e) => e.kind === 'beli' && e.sentAt >= since && e.outcome === 200);
      if (ok) return ok.receivedAt;
      await sleep(100);
    }
    return undefined;
  };

  const deadlockCount = async (): Promise<number> => {
    let total = 0;
    for (const proc of instances) {
      const res = await fetch(`${proc.baseUrl}/metrics`, { signal: AbortSignal.timeout(5_000) }).catch(() => null);
      total += res ? (metricValue(await res.text(), 'ppob_db_deadlocks_total') ?? 0) : 0;
    }
    return total;
  };

  const beginPhase = (name: string): Phase => {
    const phase: Phase = { name, start: Date.now(), notes: [] };
    phases.push(phase);
    return phase;
  };

  const health = async (baseUrl: string) => {
    try {
      return await httpJson(baseUrl, 'GET', '/health', { timeoutMs: 8_000 });
    } catch (err) {
      return { status: 0, json: (err as Error).message };
    }
  };

  const scenario = async (): Promise<void> => {
    await sleep(CALM_MS);

    // --- 1. kill -9 the writer.
    const writer = await currentWriter();
    const kill = beginPhase(`kill -9 of the writer (${writer.name})`);
    await writer.db.kill();
    kill.faultEndedAt = Date.now();
    kill.backAt = await backAfter(kill.start, BACK_WITHIN_MS);
    const successor = await currentWriter();
    kill.notes.push(`writer moved ${writer.name} -> ${successor.name}`);
    kill.end = Date.now();
    await sleep(CALM_MS);

    // --- 2. bring it back; the writes must stay on one node.
    const rejoin = beginPhase(`${writer.name} rejoins`);
    rejoinNode = writer.name;
    const position = await writer.restartAfterCrash(120_000);
    const synced = await galera!.waitSynced(writer, 120_000);
    const deadlocksBefore = await deadlockCount();
    rejoin.notes.push(`recovered position ${position}; Synced ${((synced - rejoin.start) / 1000).toFixed(1)} s after the restart`);
    // HAProxy puts it back UP after `rise 3` checks. Then one instance restarts (a deploy, a
    // crash): its new pool opens new connections, which is when a proxy that fails back would
    // send them to the returned node while the other instance's pooled ones stay put.
    const upDeadline = Date.now() + 20_000;
    while (!(await galera!.haproxyServers()).some((s) => s.name === writer.name && s.status === 'UP')) {
      if (Date.now() > upDeadline) throw new Error(`HAProxy did not mark ${writer.name} UP again: ${JSON.stringify(await galera!.haproxyServers())}`);
      await sleep(250);
    }
    rejoin.notes.push(`HAProxy marked it UP ${((Date.now() - synced) / 1000).toFixed(1)} s after Synced; restarting ${instances[1].name}`);
    await instances[1].kill('SIGKILL');
    instances[1] = await startInstance(instanceOptions(`${instances[1].name}-r`, galera!.url(DATABASE)));
    const watchUntil = Date.now() + 10_000;
    while (Date.now() < watchUntil) {
      writerSamples.push({ at: Date.now(), nodesWithAppConnections: await nodesWithAppConnections() });
      await sleep(250);
    }
    const proxyView = await galera!.haproxyServers();
    rejoin.notes.push(`deadlocks (1213) while it rejoined: ${(await deadlockCount()) - deadlocksBefore} (two writers would show certification conflicts here)`);
    rejoin.notes.push(`HAProxy: ${proxyView.map((s) => `${s.name} ${s.status} ${s.sessions} sessions`).join(', ')}`);
    rejoin.end = Date.now();

    // --- 3. take quorum away: freeze the two other nodes; the writer is left alone, non-Primary.
    const lonely = await currentWriter();
    observer = await startInstance(instanceOptions('observer', lonely.db.url(DATABASE), false));
    const others = galera!.nodes.filter((n) => n !== lonely);
    const quorum = beginPhase(`quorum lost (${others.map((n) => n.name).join(' and ')} frozen, ${lonely.name} alone)`);
    for (const node of others) node.pause();
    // The observer talks to the lonely node directly: /health must say why it is down.
    const deadline = Date.now() + 60_000;
    for (;;) {
      const answer = await health(observer.baseUrl);
      if (answer.status === 503 && answer.json?.reason === 'wsrep_not_primary') {
        quorumHealth.observer = answer;
        quorum.notes.push(`observer /health down (wsrep_not_primary) ${((Date.now() - quorum.start) / 1000).toFixed(1)} s after the freeze`);
        break;
      }
      if (Date.now() > deadline) {
        quorumHealth.observer = answer;
        break;
      }
      await sleep(250);
    }
    // Held long enough that the purchases meet the node's refusals and the proxy's empty backend.
    await sleep(6_000);
    quorumHealth.viaProxy = await Promise.all(instances.map((proc) => health(proc.baseUrl)));
    const thawAt = Date.now();
    quorum.faultEndedAt = thawAt;
    for (const node of others) node.resume();
    await galera!.waitSynced(lonely, 90_000);
    quorum.notes.push(`Primary and Synced again ${((Date.now() - thawAt) / 1000).toFixed(1)} s after the thaw`);
    quorum.backAt = await backAfter(thawAt, BACK_WITHIN_MS);
    quorum.notes.push(`back ${quorum.backAt ? ((quorum.backAt - thawAt) / 1000).toFixed(1) : '>30'} s after the thaw`);
    quorum.end = Date.now();
    await sleep(CALM_MS);
  };

  beforeAll(async () => {
    try {
      await run();
    } catch (err) {
      runError = err;
    }
  }, 10 * 60_000);

  const run = async (): Promise<void> => {
    if (MISSING.length > 0) throw new Error(`REQUIRE_CLUSTER=1, but this machine lacks ${MISSING.join(', ')}`);
    assertBuilt();
    t0 = Date.now();
    galera = await PrivateGalera.create();
    await galera.start();
    await galera.startHaproxy();
    await galera.nodes[0].db.createDatabase(DATABASE);
    const viaProxy = galera.url(DATABASE);

    // Two instances boot at once through the proxy and take turns through the migration lock row.
    instances = await Promise.all(['cluster-a', 'cluster-b'].map((name) => startInstance(instanceOptions(name, viaProxy))));

    await mapLimit(
      Array.from({ length: USERS }, (_, i) => i),
      4,
      async (i) => {
        const email = `cluster-${i}@example.com`;
        const res = await recorder.request(targets()[i % 2], 'POST', '/register', {
          body: { nama: `Cluster reseller ${i}`, email, saldo: START_SALDO },
          timeoutMs: 10_000,
          kind: 'register',
        });
        if (res.outcome !== 200) throw new Error(`register ${i}: ${res.outcome} ${JSON.stringify(res.json)}`);
        registered[i] = { email, startSaldo: START_SALDO };
        apiKeys[i] = res.json.api_key;
      },
    );

    // Galera spaces auto-increment ids by the cluster size (wsrep_auto_increment_control): ask.
    const produk = await httpJson(targets()[0].baseUrl, 'GET', '/produk', { apiKey: apiKeys[0] });
    const produkIds = (produk.json as Array<{ id: number }>).map((p) => p.id);
    if (produkIds.length === 0) throw new Error(`GET /produk: ${produk.status} ${JSON.stringify(produk.json)}`);

    // Load at a steady rate until the scenario ends.
    let stopLoad = false;
    const running: Array<Promise<PurchaseResult>> = [];
    let inFlight = 0;
    const load = (async () => {
      const loadStart = Date.now();
      for (let i = 0; !stopLoad; i++) {
        const startAt = loadStart + (i * 1000) / LOAD_RATE_PER_S;
        while (!stopLoad && (Date.now() < startAt || inFlight >= CLIENT_IN_FLIGHT)) await sleep(5);
        if (stopLoad) break;
        const nomor = i % 10 === 0 ? SANDBOX.SUKSES : i % 10 === 1 ? SANDBOX.GAGAL : `0812${String(10_000_000 + i).slice(-8)}`;
        const purchase: Purchase = { index: i, user: i % USERS, refId: `cl-${i}`, produkId: produkIds[i % produkIds.length], nomor, kind: 'normal', impatient: false };
        inFlight++;
        running.push(
          purchaseUntilDefinite(recorder, purchase, { apiKey: apiKeys[purchase.user], targets, timeoutMs: CLIENT_TIMEOUT_MS, budgetMs: PURCHASE_BUDGET_MS }).finally(() => {
            inFlight--;
          }),
        );
      }
    })();
    try {
      await scenario();
    } finally {
      stopLoad = true;
      await load;
      results = await Promise.all(running);
    }

    ds = await openCheckDataSource(viaProxy);
    await waitUntilSettled(ds, LEASE_MS * (MAX_ATTEMPTS + 1) + 30_000);
  };

  afterAll(async () => {
    printFigures();
    await ds?.destroy().catch(() => undefined);
    for (const proc of [...instances, ...(observer ? [observer] : [])]) await proc.kill('SIGKILL').catch(() => undefined);
    await galera?.destroy();
  }, 60_000);

  // ------------------------------------------------------------------------------ figures
  /** The /beli answers that belong to a phase: from its start until it is back (plus the grace), never into the next phase. */
  const phaseEvents = (phase: Phase): HttpEvent[] => {
    const next = phases[phases.indexOf(phase) + 1]?.start ?? Infinity;
    const end = Math.min(phase.backAt !== undefined ? phase.backAt + GRACE_MS : (phase.end ?? Date.now()), next);
    return recorder.events.filter((e) => e.kind === 'beli' && e.receivedAt >= phase.start && e.receivedAt <= end);
  };

  const printFigures = () => {
    const lines = [`cluster suite: ${results.length} purchases, ${((Date.now() - t0) / 1000).toFixed(0)} s in all`];
    for (const phase of phases) {
      const events = phaseEvents(phase);
      const count = (pred: (e: HttpEvent) => boolean) => events.filter(pred).length;
      const slowest = Math.max(0, ...events.map((e) => e.receivedAt - e.sentAt));
      lines.push(
        `- ${phase.name}: unavailable ${phase.backAt ? ((phase.backAt - phase.start) / 1000).toFixed(1) : 'n/a'} s from the fault's start, ` +
          `503: ${count((e) => e.outcome === 503)} (${[...new Set(events.filter((e) => e.outcome === 503).map((e) => e.code))].join(', ') || '-'}), ` +
          `other 5xx: ${count((e) => typeof e.outcome === 'number' && e.outcome >= 500 && e.outcome !== 503)}, ` +
          `timeouts/conn errors: ${count((e) => typeof e.outcome !== 'number')}, slowest request ${(slowest / 1000).toFixed(2)} s`,
      );
      for (const note of phase.notes) lines.push(`    ${note}`);
    }
    const beli = recorder.events.filter((e) => e.kind === 'beli');
    const slowest = beli.reduce<HttpEvent | undefined>((a, e) => (!a || e.receivedAt - e.sentAt > a.receivedAt - a.sentAt ? e : a), undefined);
    if (slowest) lines.push(`slowest request of the run: ${((slowest.receivedAt - slowest.sentAt) / 1000).toFixed(2)} s (${slowest.outcome} ${slowest.code ?? ''})`);
    lines.push(`503 in the whole run: ${beli.filter((e) => e.outcome === 503).length} of ${beli.length} /beli requests`);
    if (facts) lines.push(`transaksi: ${facts.sukses} sukses, ${facts.gagal} gagal, ${facts.open} open; provider executions ${facts.executions}`);
    for (const proc of [...instances, ...(observer ? [observer] : [])]) {
      const errors = proc.errorLines();
      if (errors.length > 0) lines.push(`--- ${proc.name}: ${errors.length} error lines, the last ---\n${errors.slice(-5).join('\n')}`);
    }
    if (runError) lines.push(`RUN FAILED: ${(runError as Error).stack ?? String(runError)}`);
    if (galera && runError) for (const node of galera.nodes) lines.push(`--- ${node.name} error log ---\n${node.db.errorLogTail(200).split("\n").filter((l) => /SST|ERROR|rsync/i.test(l)).slice(-30).join("\n")}`);
    if (galera && runError) lines.push(`--- haproxy ---\n${galera.haproxyLog().slice(-3000)}`);
    process.stdout.write(`\n${lines.join('\n')}\n`);
  };

  // ------------------------------------------------------------------------------ checks
  it('ran the whole scenario', () => {
    expect(runError).toBeUndefined();
    expect(phases.map((p) => p.end !== undefined)).toEqual([true, true, true]);
  });

  it('came back within the bound after the writer was killed and after quorum returned', () => {
    expect(phases).toHaveLength(3);
    for (const phase of [phases[0], phases[2]]) {
      const backAfterMs = phase.backAt !== undefined && phase.faultEndedAt !== undefined ? phase.backAt - phase.faultEndedAt : null;
      expect({ phase: phase.name, backWithinBound: backAfterMs !== null && backAfterMs < BACK_WITHIN_MS }).toEqual({ phase: phase.name, backWithinBound: true });
    }
  });

  it('kept the writes on one node while the old writer rejoined (no failback, never two writers)', () => {
    expect(writerSamples.length).toBeGreaterThan(10);
    const split = writerSamples.filter((s) => s.nodesWithAppConnections.length > 1 || s.nodesWithAppConnections.includes(rejoinNode));
    expect(split).toEqual([]);
  });

  it('answered 503, never 500, while quorum was lost, and /health said the database is down', () => {
    const quorum = phases[2];
    const events = phaseEvents(quorum);
    expect(events.filter((e) => e.outcome === 503).length).toBeGreaterThan(0);
    expect(quorumHealth.observer).toMatchObject({ status: 503, json: { db: 'down', reason: 'wsrep_not_primary' } });
    for (const answer of quorumHealth.viaProxy) expect(answer).toMatchObject({ status: 503, json: { db: 'down' } });
  });

  it('answered no 5xx other than 503, and 503 only around the faults', () => {
    const windows: DbWindow[] = phases
      .filter((p) => p !== phases[1])
      .map((p) => ({ name: p.name, start: p.start, end: (p.backAt ?? p.end ?? Date.now()) + GRACE_MS }));
    checkHttp(breaches, recorder.events, windows, new Map(), t0);
    expect(breaches.of('http')).toEqual([]);
  });

  it('lost no purchase, executed none twice, and left every saldo exact', async () => {
    expect(ds).toBeDefined();
    checkPurchases(breaches, results);
    facts = await checkDatabase(breaches, ds!, results, registered);
    expect(results.length).toBeGreaterThan(500);
    expect(breaches.of('purchases')).toEqual([]);
    expect(breaches.of('transaksi')).toEqual([]);
    expect(breaches.of('execution')).toEqual([]);
    expect(breaches.of('money')).toEqual([]);
  });
});
