'use strict';
/**
 * Processor throughput with a slow upstream: N purchases against one built instance whose
 * simulated provider takes BENCH_DELAY_MS each, timed from the first /beli until every
 * transaksi is final. With concurrency C the floor is about delay * N / C.
 *
 *   node bench/processor-throughput.js            (after `npm run build`)
 *   BENCH_PURCHASES=1000 BENCH_DELAY_MS=2000 BENCH_CONCURRENCY=100,200 BENCH_ENGINE=mysql|sqlite
 */
const { spawn } = require('node:child_process');
const { mkdtempSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const net = require('node:net');
const mysql = require('mysql2/promise');

const PURCHASES = Number(process.env.BENCH_PURCHASES ?? 1000);
const DELAY_MS = Number(process.env.BENCH_DELAY_MS ?? 2000);
const CONCURRENCIES = (process.env.BENCH_CONCURRENCY ?? '100,200').split(',').map(Number);
const ENGINE = process.env.BENCH_ENGINE ?? 'mysql';
const MYSQL_URL = process.env.MYSQL_TEST_URL ?? 'mysql://root@127.0.0.1:3306';
const HTTP_PARALLEL = 64;

async function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

async function createDatabase() {
  if (ENGINE === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'ppob-bench-'));
    return { url: `sqlite:${join(dir, 'bench.sqlite')}`, drop: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const name = `ppob_bench_${Date.now().toString(36)}`;
  const admin = await mysql.createConnection({ uri: MYSQL_URL });
  await admin.query(`CREATE DATABASE \`${name}\``);
  await admin.end();
  const url = new URL(MYSQL_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = await mysql.createConnection({ uri: MYSQL_URL });
      await c.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await c.end();
    },
  };
}

async function startInstance(env) {
  const port = await freePort();
  const child = spawn(process.execPath, ['dist/src/main.js'], {
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`instance exited: ${stderr}`);
    try {
      if ((await fetch(`${base}/health`)).ok) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) throw new Error(`instance did not start: ${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  child.stderrText = () => stderr;
  return { base, child, stop: () => new Promise((resolve) => { child.once('exit', resolve); child.kill('SIGTERM'); }) };
}

async function post(base, path, body, apiKey) {
  const res = await fetch(base + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(apiKey ? { 'x-api-key': apiKey } : {}) },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

async function runOnce(concurrency) {
  const db = await createDatabase();
  const instance = await startInstance({
    DATABASE_URL: db.url,
    PPOB_SIM_DELAY_MS: String(DELAY_MS),
    PPOB_SIM_SUCCESS_RATE: '0.9',
    PROCESSOR_CONCURRENCY: String(concurrency),
    PROCESSOR_BATCH_SIZE: String(Math.min(concurrency, 1000)),
    PROCESSOR_LEASE_MS: String(Math.max(30_000, DELAY_MS * 4)),
    NODE_ENV: 'development',
  }).catch(async (err) => {
    await db.drop();
    throw err;
  });
  try {
    const users = [];
    for (let i = 0; i < 10; i++) {
      const { json } = await post(instance.base, '/register', { nama: `bench ${i}`, email: `bench${i}@example.com`, saldo: 1_000_000_000 });
      users.push(json.api_key);
    }
    const ids = [];
    const started = Date.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: HTTP_PARALLEL }, async () => {
        while (next < PURCHASES) {
          const i = next++;
          const { status, json } = await post(instance.base, '/beli', { produk_id: 1 + (i % 3), nomor_tujuan: `0812${String(i).padStart(8, '0')}` }, users[i % users.length]);
          if (status !== 200) throw new Error(`beli ${status}: ${JSON.stringify(json)}`);
          ids.push({ id: json.id, key: users[i % users.length] });
        }
      }),
    );
    const acceptedMs = Date.now() - started;

    // Poll the newest rows through the API until none is pending/proses.
    for (;;) {
      let open = 0;
      for (const key of users) {
        const res = await fetch(`${instance.base}/riwayat?limit=100`, { headers: { 'x-api-key': key } });
        const rows = await res.json();
        open += rows.filter((r) => r.status === 'pending' || r.status === 'proses').length;
      }
      if (open === 0) {
        // The last page holds the newest 100 per user; check all ids once to be exact.
        let stillOpen = 0;
        for (const { id, key } of ids) {
          const res = await fetch(`${instance.base}/status/${id}`, { headers: { 'x-api-key': key } });
          const row = await res.json();
          if (row.status === 'pending' || row.status === 'proses') stillOpen++;
        }
        if (stillOpen === 0) break;
      }
      if (Date.now() - started > 10 * 60_000) throw new Error('not finished after 10 minutes');
      await new Promise((r) => setTimeout(r, 200));
    }
    const totalMs = Date.now() - started;
    return { concurrency, acceptedMs, totalMs, floorMs: Math.ceil(PURCHASES / concurrency) * DELAY_MS };
  } catch (err) {
    console.error(instance.child.stderrText().slice(-4000));
    throw err;
  } finally {
    await instance.stop();
    await db.drop();
  }
}

async function main() {
  console.log(`processor throughput: ${PURCHASES} purchases, simulated delay ${DELAY_MS} ms, engine ${ENGINE}`);
  const rows = [];
  for (const concurrency of CONCURRENCIES) {
    const r = await runOnce(concurrency);
    rows.push(r);
    console.log(
      `  PROCESSOR_CONCURRENCY=${r.concurrency}: all accepted in ${(r.acceptedMs / 1000).toFixed(1)} s, all final in ${(r.totalMs / 1000).toFixed(1)} s ` +
        `(floor ${PURCHASES} x ${DELAY_MS} ms / ${r.concurrency} = ${(r.floorMs / 1000).toFixed(1)} s; ${(PURCHASES / (r.totalMs / 1000)).toFixed(0)} trx/s)`,
    );
  }
  return rows;
}

module.exports = { main };
if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
