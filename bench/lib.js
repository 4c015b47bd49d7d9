'use strict';
/**
 * Shared helpers for the benchmarks: ports, throwaway databases, child processes (the built app
 * and the baseline server), HTTP helpers, RSS sampling, percentiles, and one cleanup registry so
 * that every child is stopped and every database dropped, also when a phase throws or the run
 * is interrupted (SIGINT/SIGTERM).
 */
const { spawn } = require('node:child_process');
const { mkdtempSync, rmSync, readFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const crypto = require('node:crypto');
const net = require('node:net');
const { setTimeout: sleep } = require('node:timers/promises');
const mysql = require('mysql2/promise');

const ROOT = join(__dirname, '..');
const MYSQL_URL = process.env.MYSQL_TEST_URL ?? 'mysql://root@127.0.0.1:3306';
const DB_PREFIX = 'ppob_bench_';

// ---------------------------------------------------------------------------------------------
// Cleanup registry

const children = new Set();
const databases = new Map();

/** Stops every child still running and drops every database created by this run. Idempotent. */
async function cleanup() {
  await Promise.all([...children].map((c) => stopChild(c, 15_000)));
  for (const [name, drop] of [...databases]) {
    try {
      await drop();
    } catch (err) {
      console.error(`bench: could not drop database ${name}: ${err.message}`);
    }
  }
}

let signalled = false;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    if (signalled) return;
    signalled = true;
    console.error(`bench: ${signal}, stopping children and dropping databases`);
    cleanup().finally(() => process.exit(130));
  });
}
// Last resort when the process exits without cleanup (uncaught error): no child outlives us.
process.on('exit', () => {
  for (const c of children) {
    try {
      c.kill('SIGKILL');
    } catch {
      /* gone */
    }
  }
});

function stopChild(child, timeoutMs = 15_000) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      children.delete(child);
      resolve();
      return;
    }
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      children.delete(child);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

// ---------------------------------------------------------------------------------------------
// Ports and databases

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

let dbCounter = 0;

/**
 * A fresh, empty database named ppob_bench_<time>_<n>_<tag> (MySQL/MariaDB), or a temporary
 * SQLite file. The app creates the schema through its migrations at start-up.
 */
async function createDatabase(tag = 'db', engine = 'mysql') {
  if (engine === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'ppob-bench-'));
    const drop = async () => {
      rmSync(dir, { recursive: true, force: true });
      databases.delete(dir);
    };
    databases.set(dir, drop);
    return { engine, name: dir, url: `sqlite:${join(dir, 'bench.sqlite')}`, drop };
  }
  const name = `${DB_PREFIX}${Date.now().toString(36)}_${process.pid}_${++dbCounter}_${tag}`.replace(/[^a-z0-9_]/gi, '_').slice(0, 64);
  const admin = await mysql.createConnection({ uri: MYSQL_URL });
  try {
    await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  } finally {
    await admin.end();
  }
  const url = new URL(MYSQL_URL);
  url.pathname = `/${name}`;
  const drop = async () => {
    if (!name.startsWith(DB_PREFIX)) throw new Error(`refusing to drop ${name}`);
    const c = await mysql.createConnection({ uri: MYSQL_URL });
    try {
      await c.query(`DROP DATABASE IF EXISTS \`${name}\``);
    } finally {
      await c.end();
    }
    databases.delete(name);
  };
  databases.set(name, drop);
  return { engine, name, url: url.toString(), drop };
}

/**
 * A new database holding an exact copy of `source` (schema with its indexes and foreign keys,
 * and every row): the same starting state for several runs without recreating it through the API.
 */
async function cloneDatabase(source, tag = 'clone') {
  const target = await createDatabase(tag);
  const c = await mysql.createConnection({ uri: MYSQL_URL, multipleStatements: false });
  try {
    await c.query('SET SESSION foreign_key_checks = 0');
    const [tables] = await c.query("SELECT table_name AS t FROM information_schema.tables WHERE table_schema = ? AND table_type = 'BASE TABLE'", [source.name]);
    for (const { t } of tables) {
      const [[row]] = await c.query(`SHOW CREATE TABLE \`${source.name}\`.\`${t}\``);
      await c.query(`USE \`${target.name}\``);
      await c.query(row['Create Table']);
      await c.query(`INSERT INTO \`${target.name}\`.\`${t}\` SELECT * FROM \`${source.name}\`.\`${t}\``);
    }
  } finally {
    await c.end();
  }
  return target;
}

/**
 * A quick probe of the database server's state, to put a run's numbers in context: median
 * latency of a 1-row autocommit INSERT (a redo log flush) and of a primary-key SELECT on one
 * connection. On a quiet machine both are well under a millisecond.
 */
async function probeDatabase() {
  const db = await createDatabase('probe');
  const c = await mysql.createConnection({ uri: db.url });
  try {
    await c.query('CREATE TABLE probe (id BIGINT AUTO_INCREMENT PRIMARY KEY, v INT) ENGINE=InnoDB');
    const commit = [];
    const select = [];
    for (let i = 0; i < 100; i++) {
      let t = performance.now();
      await c.query('INSERT INTO probe (v) VALUES (?)', [i]);
      commit.push(performance.now() - t);
      t = performance.now();
      await c.query('SELECT v FROM probe WHERE id = ?', [i + 1]);
      select.push(performance.now() - t);
    }
    return { commitMs: median(commit), selectMs: median(select), load1: require('node:os').loadavg()[0] };
  } finally {
    await c.end();
    await db.drop();
  }
}

/**
 * 0 when no transaksi is pending or proses, else 1. Polled every 50 ms while the processor
 * works, so it must cost the database next to nothing: it stops at the first open row (a
 * COUNT(*) would scan every open row on each poll, thousands while a backlog drains).
 */
async function openCount(pool) {
  const [rows] = await pool.query("SELECT 1 FROM transaksi WHERE status IN ('pending', 'proses') LIMIT 1");
  return rows.length;
}

/** A mysql2 connection pool on one bench database (for seeding, polling and reading results). */
function sqlPool(db, size = 2) {
  return mysql.createPool({ uri: db.url, connectionLimit: size, timezone: 'Z', supportBigNumbers: true, bigNumberStrings: false, dateStrings: false });
}

// ---------------------------------------------------------------------------------------------
// Child processes

// The Node that runs the service and baseline processes; run.js switches it per BENCH_NODES
// pass. `env` carries that Node's PATH and its own better-sqlite3 build (SQLITE_NATIVE_BINDING).
let serviceNode = { bin: process.execPath, env: {} };

function useServiceNode(bin, env = {}) {
  serviceNode = { bin, env };
}

/**
 * Starts a Node script (default: the built app) on a free port and waits for GET /health.
 * `nodeArgs` go before the script (e.g. --cpu-prof). The child's stderr is kept for errors.
 */
async function startInstance(env, { script = 'dist/src/main.js', nodeArgs = [], label = 'service', healthPath = '/health', startTimeoutMs = 60_000, ipc = false } = {}) {
  const port = await freePort();
  const spawnedAt = Date.now();
  const child = spawn(serviceNode.bin, [...nodeArgs, script], {
    cwd: ROOT,
    env: { ...process.env, ...serviceNode.env, NODE_ENV: 'development', ALLOW_REGISTER_SALDO: 'true', LOG_LEVEL: 'warn', RATE_LIMIT_PER_MINUTE: '0', RATE_LIMIT_REGISTER_PER_HOUR: '0', APP_ENCRYPTION_KEY: Buffer.alloc(32, 9).toString('base64'), ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'ignore', 'pipe', ...(ipc ? ['ipc'] : [])],
  });
  children.add(child);
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
    if (stderr.length > 200_000) stderr = stderr.slice(-100_000);
  });
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + startTimeoutMs;
  for (;;) {
    if (child.exitCode !== null) {
      children.delete(child);
      throw new Error(`${label} exited with ${child.exitCode} at start: ${stderr.slice(-4000)}`);
    }
    try {
      if ((await fetch(`${base}${healthPath}`)).ok) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      await stopChild(child, 2_000);
      throw new Error(`${label} did not start within ${startTimeoutMs} ms: ${stderr.slice(-4000)}`);
    }
    await sleep(50);
  }
  return {
    label,
    base,
    port,
    pid: child.pid,
    child,
    spawnedAt,
    readyAt: Date.now(),
    stderrText: () => stderr,
    stop: (timeoutMs) => stopChild(child, timeoutMs),
  };
}

// ---------------------------------------------------------------------------------------------
// HTTP

async function post(base, path, body, apiKey) {
  const res = await fetch(base + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(apiKey ? { 'x-api-key': apiKey } : {}) },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, json };
}

async function get(base, path, apiKey) {
  const res = await fetch(base + path, { headers: apiKey ? { 'x-api-key': apiKey } : {} });
  return { status: res.status, json: await res.json() };
}

/** Registers `n` users with `saldo` each through POST /register; returns [{ key, id? }]. */
async function registerUsers(base, n, saldo, prefix) {
  const users = [];
  for (let i = 0; i < n; i++) {
    const { status, json } = await post(base, '/register', { nama: `bench ${prefix} ${i}`, email: `${prefix}${i}@bench.example.com`, saldo });
    if (status !== 200) throw new Error(`register ${status}: ${JSON.stringify(json)}`);
    users.push({ key: json.api_key, privateKey: json.private_key });
  }
  return users;
}

/**
 * The headers of a signed request (README, "Signing a request") with a fresh nonce. The HMAC
 * costs the client CPU on the same cores as the server: precompute them before a measured run.
 */
function signedHeaders(user, method, pathWithQuery, body = '', now = Date.now()) {
  const ts = String(Math.floor(now / 1000));
  const nonce = crypto.randomBytes(12).toString('hex');
  const bodyHash = crypto.createHash('sha256').update(body).digest('hex');
  const sig = crypto.createHmac('sha256', user.privateKey).update(`v1\n${ts}\n${nonce}\n${method}\n${pathWithQuery}\n${bodyHash}`).digest('base64');
  return { 'x-api-key': user.key, 'x-timestamp': ts, 'x-nonce': nonce, 'x-signature': `v1,${sig}` };
}

/**
 * A source of signed headers for one user and request: `count` computed now, then fresh ones
 * if a run outlasts them. The timestamps stay valid for the server's 300 s window.
 */
function signedHeaderSource(user, method, pathWithQuery, count, body = '') {
  const ready = Array.from({ length: count }, () => signedHeaders(user, method, pathWithQuery, body));
  let next = 0;
  return () => (next < ready.length ? ready[next++] : signedHeaders(user, method, pathWithQuery, body));
}

/**
 * Runs `count` calls of `fn(i)` with at most `parallel` in flight; throws on the first failure.
 */
async function parallelLoop(count, parallel, fn) {
  let next = 0;
  const results = new Array(count);
  await Promise.all(
    Array.from({ length: Math.min(parallel, count) }, async () => {
      while (next < count) {
        const i = next++;
        results[i] = await fn(i);
      }
    }),
  );
  return results;
}

// ---------------------------------------------------------------------------------------------
// Memory

function readProcStatus(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key) => {
      const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text);
      return m ? Number(m[1]) * 1024 : null;
    };
    return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
  } catch {
    return null;
  }
}

const CLK_TCK = 100; // getconf CLK_TCK on Linux x86-64/arm64

/**
 * CPU time (user + system, ms) a process has used so far, from /proc/<pid>/stat; null when gone.
 * CPU per request is far less sensitive to other load on the machine than req/s is.
 */
function cpuTimeMs(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state); utime and stime are fields 14 and 15.
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK;
  } catch {
    return null;
  }
}

/**
 * Samples VmRSS of the tracked processes every `intervalMs`, and reads VmHWM (the kernel's peak
 * RSS) on every sample, so the peak survives the process ending between samples.
 */
class RssSampler {
  constructor(intervalMs = 200) {
    this.intervalMs = intervalMs;
    this.tracked = new Map(); // pid -> { label, maxRss, hwm, samples }
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  track(instance, label = instance.label) {
    this.tracked.set(instance.pid, { label, maxRss: 0, hwm: 0, samples: 0 });
    this.sample();
  }

  sample() {
    for (const [pid, t] of this.tracked) {
      const s = readProcStatus(pid);
      if (!s) continue;
      t.samples++;
      if (s.rss > t.maxRss) t.maxRss = s.rss;
      if (s.hwm > t.hwm) t.hwm = s.hwm;
    }
  }

  /** Call just before stopping an instance so its final VmHWM is read. */
  final(instance) {
    this.sample();
    const t = this.tracked.get(instance.pid);
    return t ? { ...t } : null;
  }

  all() {
    this.sample();
    return [...this.tracked.values()].map((t) => ({ ...t }));
  }

  stop() {
    clearInterval(this.timer);
  }
}

// ---------------------------------------------------------------------------------------------
// Statistics and formatting

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx];
}

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function spread(values, digits = 0) {
  if (values.length === 0) return '-';
  const s = [...values].sort((a, b) => a - b);
  return s.length === 1 ? s[0].toFixed(digits) : `${s[0].toFixed(digits)}–${s[s.length - 1].toFixed(digits)}`;
}

const mb = (bytes) => (bytes / (1024 * 1024)).toFixed(0);

module.exports = {
  ROOT,
  signedHeaders,
  signedHeaderSource,
  MYSQL_URL,
  cleanup,
  freePort,
  createDatabase,
  cloneDatabase,
  probeDatabase,
  sqlPool,
  openCount,
  startInstance,
  useServiceNode,
  stopChild,
  post,
  get,
  registerUsers,
  parallelLoop,
  readProcStatus,
  cpuTimeMs,
  RssSampler,
  percentile,
  median,
  spread,
  mb,
  sleep,
};
