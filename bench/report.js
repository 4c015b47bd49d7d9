'use strict';
/** Turns the phases' results into the printed table and docs/BENCHMARKS.md. */
const { median, spread, mb } = require('./lib');

const TARGETS = {
  'GET /produk': 1.0,
  'GET /status/{id}': 0.9,
  'POST /beli': 0.8,
  // Issue 13: at least the hand-written server on one key (the goal is 2x, which a group commit
  // that gives the saldo row's lock once to many purchases can reach).
  'POST /beli, one key': 1.0,
};
const P99_MS = 100;
const TRX_PER_S = 1000;
const TWO_VS_ONE = 0.95; // "no slower with two": within 5 % counts as the same (run-to-run noise)
const PICKUP_P99_MS = 50;
const RSS_MB = 250;
// Issue 12: a signed /produk within 15 % of an unsigned one; rate limiting costs at most 10 %.
const SIGNED_VS_UNSIGNED = 0.85;
const LIMITED_VS_OFF = 0.9;
const CALLBACKS_PER_S = 1000;
const { ROWS: PARTNER, BASE_OF: PARTNER_BASE } = require('./partner');

const verdict = (ok) => (ok === null ? 'n/a' : ok ? 'pass' : '**miss**');
const fmt = (v, d = 0) => (Number.isFinite(v) ? v.toFixed(d) : '-');
const withSpread = (values, d = 0) => (values.length ? `${fmt(median(values), d)} (${spread(values, d)})` : '-');

function httpRows(http) {
  const rows = [];
  for (const route of Object.keys(TARGETS)) {
    const svc = http.results.filter((r) => r.route === route && r.side === 'service');
    const base = http.results.filter((r) => r.route === route && r.side === 'baseline');
    if (!svc.length || !base.length) continue; // not measured in this run (BENCH_HTTP_ROUTES)
    const ratios = svc.map((s) => s.rps / median(base.map((b) => b.rps)));
    const ratio = median(svc.map((r) => r.rps)) / median(base.map((r) => r.rps));
    rows.push({ route, svc, base, ratio, ratios, bad: [...svc, ...base].reduce((n, r) => n + r.bad, 0) });
  }
  return rows;
}

/** The summary table: one line per target. */
function targetRows(all) {
  const out = [];
  if (all.http) {
    for (const r of httpRows(all.http)) {
      out.push({
        what: `${r.route}: req/s service ÷ baseline`,
        value: `${fmt(r.ratio, 2)}× (${fmt(median(r.svc.map((x) => x.rps)))} ÷ ${fmt(median(r.base.map((x) => x.rps)))} req/s)`,
        target: `≥ ${TARGETS[r.route].toFixed(1)}×`,
        ok: r.ratio >= TARGETS[r.route],
      });
    }
    for (const r of httpRows(all.http)) {
      const p99 = median(r.svc.map((x) => x.p99));
      out.push({ what: `${r.route}: service p99 at ${all.http.config.connections} connections`, value: `${fmt(p99)} ms (${spread(r.svc.map((x) => x.p99))})`, target: `< ${P99_MS} ms`, ok: p99 < P99_MS });
    }
  }
  if (all.processor) {
    const one = all.processor.results.filter((r) => r.instances === 1).map((r) => r.rate);
    const two = all.processor.results.filter((r) => r.instances === 2).map((r) => r.rate);
    if (one.length) out.push({ what: 'Processor, 1 instance, 0 ms upstream', value: `${withSpread(one)} trx/s`, target: `≥ ${TRX_PER_S.toLocaleString('en')} trx/s`, ok: median(one) >= TRX_PER_S });
    if (two.length && one.length) {
      out.push({
        what: 'Processor, 2 instances vs 1',
        value: `${withSpread(two)} trx/s = ${fmt(median(two) / median(one), 2)}×`,
        target: `no slower (≥ ${TWO_VS_ONE}×)`,
        ok: median(two) >= TWO_VS_ONE * median(one),
      });
    }
  }
  if (all.supplier) {
    const sim = all.supplier.results.filter((r) => r.provider === 'simulated').map((r) => r.rate);
    const fake = all.supplier.results.filter((r) => r.provider === 'digiflazz').map((r) => r.rate);
    if (sim.length && fake.length) {
      out.push({
        what: 'Processor, 1 instance, fake Digiflazz at 0 ms vs simulated',
        value: `${withSpread(fake)} vs ${withSpread(sim)} trx/s = ${fmt(median(fake) / median(sim), 2)}×`,
        target: 'measured (no target)',
        ok: true,
      });
    }
  }
  if (all.pickup) {
    const p99 = all.pickup.results.map((r) => r.p99);
    out.push({ what: 'Pickup p99 (purchase → execution, upper bound)', value: `${withSpread(p99, 1)} ms`, target: `< ${PICKUP_P99_MS} ms`, ok: median(p99) < PICKUP_P99_MS });
  }
  if (all.partner) {
    for (const [cell, goal, what] of [
      [PARTNER.signed, SIGNED_VS_UNSIGNED, 'GET /produk signed ÷ unsigned (limits off)'],
      [PARTNER.limited, LIMITED_VS_OFF, 'GET /produk rate limits on (memory) ÷ off'],
      [PARTNER.limitedRedis, LIMITED_VS_OFF, 'GET /produk rate limits on (Redis) ÷ off'],
    ]) {
      const ratios = partnerRatios(all.partner, cell);
      if (!ratios.length) continue;
      out.push({ what: `${what}, req/s within a round`, value: `${withSpread(ratios, 2)}×`, target: `≥ ${goal.toFixed(2)}×`, ok: median(ratios) >= goal });
    }
    const rate = all.partner.callbacks?.rate;
    if (rate !== undefined) out.push({ what: `Callback backlog of ${all.partner.callbacks.events.toLocaleString('en')} drained, 1 instance`, value: `${fmt(rate)} deliveries/s`, target: `≥ ${CALLBACKS_PER_S.toLocaleString('en')}/s`, ok: rate >= CALLBACKS_PER_S });
  }
  if (all.rss?.length) {
    const peak = Math.max(...all.rss.map((r) => r.hwm));
    out.push({ what: 'Peak RSS of a service process (VmHWM)', value: `${mb(peak)} MB`, target: `< ${RSS_MB} MB`, ok: peak < RSS_MB * 1024 * 1024 });
  }
  return out;
}

/** Per round: the cell's req/s ÷ its unlimited, unsigned twin's of the same round (same process). */
function partnerRatios(partner, cell) {
  const ratios = [];
  for (const r of partner.results.filter((x) => x.name === cell)) {
    const base = partner.results.find((x) => x.round === r.round && x.name === PARTNER_BASE[cell]);
    if (base) ratios.push(r.rps / base.rps);
  }
  return ratios;
}

function markdownTable(header, rows) {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

function detailTables(all) {
  const parts = [];
  if (all.http) {
    const rows = [];
    for (const r of httpRows(all.http)) {
      for (const [side, runs] of [['service', r.svc], ['baseline', r.base]]) {
        rows.push([
          r.route,
          side,
          withSpread(runs.map((x) => x.rps)),
          withSpread(runs.map((x) => x.p50)),
          withSpread(runs.map((x) => x.p99)),
          withSpread(runs.map((x) => x.cpuPerReq), 2),
          side === 'service' ? `${fmt(r.ratio, 2)}× (${spread(r.ratios, 2)})` : '',
        ]);
      }
    }
    const info = all.http.informational ?? [];
    for (const route of ['POST /beli', 'POST /beli, one key']) {
      // Older results have no route on the informational rows: they were all POST /beli.
      const runs = info.filter((x) => (x.route ?? 'POST /beli') === route);
      if (!runs.length) continue;
      rows.push([
        `${route}, processor on (0 ms upstream), informational`,
        'service',
        withSpread(runs.map((x) => x.rps)),
        withSpread(runs.map((x) => x.p50)),
        withSpread(runs.map((x) => x.p99)),
        withSpread(runs.map((x) => x.cpuPerReq), 2),
        '',
      ]);
    }
    parts.push(
      `### HTTP (${all.http.config.connections} connections, ${all.http.config.durationS} s per run after ${all.http.config.warmupS} s warm-up, ` +
        `${all.http.config.rounds} runs per cell; median (min–max))\n\n` +
        markdownTable(['route', 'server', 'req/s', 'p50 ms', 'p99 ms', 'server CPU ms/request', 'service ÷ baseline (req/s)'], rows),
    );
    const bad = httpRows(all.http).reduce((n, r) => n + r.bad, 0) + info.reduce((n, r) => n + r.bad, 0);
    parts.push(bad ? `Non-2xx responses, errors or timeouts during the HTTP runs: ${bad} (see the console output).` : 'Every HTTP response in the measured runs was 200.');
  }
  if (all.processor) {
    const rows = all.processor.results.map((r) => [
      String(r.instances),
      String(r.round),
      fmt(r.rate),
      (r.dbMs / 1000).toFixed(2),
      `${(r.wallMs / 1000).toFixed(2)} (${fmt(r.wallRate)} trx/s)`,
      r.share.join(' / '),
      r.cpuPerTrx.toFixed(2),
    ]);
    parts.push(
      `### Processor drain (${all.processor.config.purchases.toLocaleString('en')} pending purchases, PPOB_SIM_DELAY_MS=0, PROCESSOR_CONCURRENCY=${all.processor.config.concurrency ?? 'default (100)'})\n\n` +
        markdownTable(['instances', 'run', 'trx/s', 'first execution → last final (s)', 'release → all final, polled (s)', 'executions per instance', 'service CPU ms/trx'], rows),
    );
  }
  if (all.pickup) {
    const c = all.pickup.config;
    const rows = all.pickup.results.map((r) => [
      String(r.round),
      String(r.n),
      fmt(r.p50, 1),
      fmt(r.p99, 1),
      fmt(r.max, 1),
      `${fmt(r.beliP50, 1)} / ${fmt(r.beliP99, 1)}`,
      r.metric ? `${fmt(r.metric.p50, 1)} / ${fmt(r.metric.p99, 1)} (n=${r.metric.count})` : 'not exposed',
    ]);
    parts.push(
      `### Pickup latency (one instance, processor on, 0 ms upstream, ${c.rate} purchases/s for ${c.seconds} s)\n\n` +
        markdownTable(['run', 'purchases', 'p50 ms', 'p99 ms', 'max ms', '/beli p50 / p99 ms', '/metrics ppob_transaksi_pickup_seconds p50 / p99 ms'], rows),
    );
  }
  if (all.slow) {
    const c = all.slow.config;
    const rows = all.slow.results.map((r) => [String(r.concurrency), (r.acceptedMs / 1000).toFixed(1), (r.totalMs / 1000).toFixed(1), (r.floorMs / 1000).toFixed(1), fmt(r.rate)]);
    parts.push(
      `### Processor with a slow upstream (${c.purchases} purchases, ${c.delayMs} ms delay, ${c.engine})\n\n` +
        markdownTable(['PROCESSOR_CONCURRENCY', 'all accepted (s)', 'all final (s)', 'floor (s)', 'trx/s'], rows),
    );
  }
  if (all.partner) {
    const c = all.partner.config;
    const rows = Object.values(PARTNER)
      .map((cell) => [cell, all.partner.results.filter((r) => r.name === cell)])
      .filter(([, runs]) => runs.length)
      .map(([cell, runs]) => [
        cell,
        withSpread(runs.map((x) => x.rps)),
        withSpread(runs.map((x) => x.p99)),
        withSpread(runs.map((x) => x.cpuPerReq), 3),
        PARTNER_BASE[cell] ? `${withSpread(partnerRatios(all.partner, cell), 2)}× of ${PARTNER_BASE[cell].replace('GET /produk ', '')}` : '',
      ]);
    parts.push(
      `### Partner API: GET /produk signed and rate-limited (${c.connections} connections, ${c.durationS} s per run after ${c.warmupS} s warm-up, ${c.rounds} rounds; median (min–max))\n\n` +
        markdownTable(['cell', 'req/s', 'p99 ms', 'server CPU ms/request', '÷ its twin in the same round and process'], rows) +
        '\n\nEach instance has two resellers: one counted (RATE_LIMIT_PER_MINUTE=10000000, a limit no client reaches) and one with the operator\'s override 0 (not counted), so each ratio compares cells of one process.',
    );
  }
  if (all.rss?.length) {
    const rows = all.rss.map((r) => [r.label, mb(r.hwm), mb(r.maxRss), String(r.samples)]);
    parts.push(`### Memory of the service processes\n\n` + markdownTable(['process', 'VmHWM (MB)', 'largest sampled VmRSS (MB)', 'samples'], rows));
  }
  return parts.join('\n\n');
}

function summaryTable(all) {
  return markdownTable(
    ['target', 'measured: median (min–max)', 'goal', 'result'],
    targetRows(all).map((t) => [t.what, t.value, t.target, verdict(t.ok)]),
  );
}

/** One row per target, one column per Node (BENCH_NODES): what moved between Node versions. */
function nodeComparison(runs) {
  const rowsByRun = runs.map((run) => targetRows(run.all));
  const header = ['target', 'goal', ...runs.map((run) => `Node ${run.node}`)];
  const rows = rowsByRun[0].map((first) => [
    first.what,
    first.target,
    ...rowsByRun.map((rows) => {
      const row = rows.find((r) => r.what === first.what);
      return row ? `${row.value} ${verdict(row.ok)}` : '-';
    }),
  ]);
  return markdownTable(header, rows);
}

function probeCell(runs) {
  const probes = (all) => (all.probes ?? []).map((p) => `${p.phase}: ${p.commitMs.toFixed(2)} / ${p.selectMs.toFixed(2)}; ${p.load1.toFixed(1)}`).join('<br>');
  return runs.length === 1 ? probes(runs[0].all) : runs.map((run) => `Node ${run.node}:<br>${probes(run.all)}`).join('<br>');
}

/** docs/BENCHMARKS.md from the runs of one `npm run bench` (one per BENCH_NODES entry). */
function markdown(runs, machine) {
  const all = runs[0].all;
  const several = runs.length > 1;
  const targets = several
    ? `The same phases, once per Node: the service (and the baseline) ran on each Node in turn,
the load generator on ${machine.benchNode}.

${nodeComparison(runs)}`
    : summaryTable(all);
  const details = several
    ? runs.map((run) => `## Details, Node ${run.node}\n\n${detailTables(run.all)}`).join('\n\n')
    : `## Details\n\n${detailTables(all)}`;
  return `# Benchmarks

Generated by \`${machine.command}\` on ${machine.date} (code at \`${machine.commit}\`). Every number
below comes from that one run; rerun it to refresh this file.

## Machine

| | |
|---|---|
| CPU | ${machine.cpu} |
| cores | ${machine.cores} |
| RAM | ${machine.ramGb} GB |
| OS | ${machine.os} |
| Node.js${several ? ' (service)' : ''} | ${machine.node} |
| database | ${machine.db} |
| load average at start / end | ${machine.loadStart} / ${machine.loadEnd} |
| run time (without the build) | ${machine.wallS} s |
| database probe (1-row commit / PK select, median ms; 1-min load) | ${probeCell(runs)} |

The load generator (autocannon), the server under test and MariaDB share these cores, and other
work may have run on the machine at the same time: compare service and baseline within one run,
and read the min–max spread before trusting a small difference.

## Targets

${targets}

${details}

## Method

- **HTTP.** The built service (\`dist/src/main.js\`, \`PROCESSOR_ENABLED=false\`, \`LOG_LEVEL=warn\`) and
  \`bench/baseline-server.js\` (Fastify and a mysql2 pool written by hand, sending the statements
  listed at the top of that file) run at the same time on one fresh \`ppob_bench_*\` database,
  each with its own 64 users and a pool of \`DATABASE_POOL_SIZE\` connections (20, the service
  default). Every request carries an API key that is looked up (SHA-256 → \`users\`).
  \`GET /status/{id}\` cycles through 10 purchases per user; \`POST /beli\` sends a unique
  \`ref_id\` per request, so every request is a new purchase, spread over the 64 users;
  \`POST /beli, one key\` sends the same purchases all through one user's key on both servers (the
  largest reseller: every purchase waits for the same saldo row). Each cell is autocannon with
  ${all.http?.config.connections ?? 64} connections for ${all.http?.config.durationS ?? 10} s after a ${all.http?.config.warmupS ?? 2} s warm-up; the order of the two
  servers alternates between runs. The informational rows repeat both \`POST /beli\` cells on a fresh
  database against a service whose processor runs with a 0 ms upstream.
- **Processor.** ${all.processor?.config.purchases?.toLocaleString('en') ?? '5,000'} purchases are created through \`POST /beli\` on an instance with the
  processor off, then held (status set to \`bench_hold\` by SQL, which no claim selects). Each
  run drains its own copy of that database (a fresh, identical set): one instance (or two)
  starts with the processor on and \`PPOB_SIM_DELAY_MS=0\`; once it answers \`/health\` the rows
  are set back to \`pending\` in one \`UPDATE\`. The rate is purchases ÷ (last \`transaksi.updated_at\` − first
  \`ppob_sim_eksekusi.waktu\`), so neither the boot nor the idle poll interval counts. The run
  also checks that every row is final and executed exactly once.
- **Pickup.** One instance with the processor on and a 0 ms upstream receives purchases at a
  steady rate; pickup is \`ppob_sim_eksekusi.waktu − transaksi.waktu\`. The simulated provider
  writes its row after the claim, the row reload and its idempotency look-up, so this is an
  **upper bound** on purchase-to-claim. The \`/metrics\` histogram is reported when the service
  exposes \`ppob_transaksi_pickup_seconds\`.
- **Memory.** \`/proc/<pid>/status\` of every service process, every 200 ms: \`VmRSS\` sampled and
  \`VmHWM\` (the kernel's own peak) read last, just before the process is stopped.
`;
}

function printSummary(all) {
  console.log('\n' + summaryTable(all) + '\n');
}

module.exports = { markdown, nodeComparison, printSummary, summaryTable, detailTables, targetRows };
