'use strict';
/**
 * Start-up smoke of the built app (dist/) on the Nodes users run it on, as `.ci/run` calls it:
 *
 *   node .ci/smoke.js current 22      # the machine's Node, then Node 22 from the npm registry
 *
 * For each Node and each engine (SQLite file, MariaDB/MySQL at MYSQL_TEST_URL): start
 * dist/src/main.js with NODE_ENV=production, register a reseller, buy a sandbox number that
 * always succeeds, wait for its final status, then SIGTERM and expect exit code 0 with no
 * error logged. The Jest suite runs on Node 24 only (Nest 12 needs it there); this is what
 * proves the app itself still runs on the older LTS lines.
 */
const { spawn } = require('node:child_process');
const { randomBytes } = require('node:crypto');
const { existsSync, mkdtempSync, rmSync } = require('node:fs');
const { createServer } = require('node:net');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const mysql = require('mysql2/promise');
const runtime = require('../test/support/node-runtime');

const MAIN_JS = join(runtime.PROJECT_ROOT, 'dist', 'src', 'main.js');
const MYSQL_URL = process.env.MYSQL_TEST_URL || 'mysql://root@127.0.0.1:3306';
const SUKSES_NUMBER = '087800000001';

function say(line) {
  process.stdout.write(`[smoke] ${line}\n`);
}

function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

async function http(base, method, path, { apiKey, body } = {}) {
  const headers = {};
  if (apiKey) headers['x-api-key'] = apiKey;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(base + path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  let json = text;
  try {
    json = JSON.parse(text);
  } catch {
    // keep the text for the message
  }
  return { status: res.status, json };
}

function expectStatus(res, status, what) {
  if (res.status !== status) throw new Error(`${what}: expected ${status}, got ${res.status} ${JSON.stringify(res.json)}`);
  return res.json;
}

async function withDatabase(engine, work) {
  if (engine === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'ppob-smoke-'));
    try {
      return await work(`sqlite:${join(dir, 'ppob.sqlite')}`, dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  // The test prefix: a database this script created, and so may drop.
  const name = `ppob_test_smoke_${randomBytes(4).toString('hex')}`;
  const admin = await mysql.createConnection({ uri: MYSQL_URL, connectTimeout: 5_000 });
  await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  const dir = mkdtempSync(join(tmpdir(), 'ppob-smoke-'));
  try {
    const url = new URL(MYSQL_URL);
    url.pathname = `/${name}`;
    return await work(url.toString(), dir);
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
    await admin.end();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function smoke(node, binding, engine) {
  await withDatabase(engine, async (databaseUrl, cwd) => {
    const port = await freePort();
    const env = runtime.runtimeEnv(node, binding, {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: 'production',
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: databaseUrl,
      // Register-time saldo is opt-in (and only with the simulated provider).
      ALLOW_REGISTER_SALDO: 'true',
      // Production refuses to boot without it (it encrypts private keys and callback secrets).
      APP_ENCRYPTION_KEY: require('node:crypto').randomBytes(32).toString('base64'),
      PPOB_SIM_DELAY_MS: '50',
      PROCESSOR_INTERVAL_MS: '100',
    });
    const child = spawn(node.bin, [MAIN_JS], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (chunk) => (out += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk) => (err += chunk));
    const exited = new Promise((resolveExit) => child.once('close', (code, signal) => resolveExit({ code, signal })));
    const base = `http://127.0.0.1:${port}`;
    try {
      const deadline = Date.now() + 60_000;
      for (;;) {
        const health = await http(base, 'GET', '/health').catch(() => null);
        if (health?.status === 200) break;
        if (child.exitCode !== null || Date.now() > deadline) throw new Error('the app did not become healthy');
        await new Promise((r) => setTimeout(r, 200));
      }
      const keys = expectStatus(
        await http(base, 'POST', '/register', { body: { nama: 'Smoke', email: `smoke-${port}@example.com`, saldo: 100_000 } }),
        200,
        'POST /register',
      );
      const beli = expectStatus(
        await http(base, 'POST', '/beli', { apiKey: keys.api_key, body: { produk_id: 1, nomor_tujuan: SUKSES_NUMBER } }),
        200,
        'POST /beli',
      );
      let status = beli.status;
      for (let i = 0; i < 150 && (status === 'pending' || status === 'proses'); i++) {
        await new Promise((r) => setTimeout(r, 200));
        status = expectStatus(await http(base, 'GET', `/status/${beli.id}`, { apiKey: keys.api_key }), 200, 'GET /status').status;
      }
      if (status !== 'sukses') throw new Error(`purchase ${beli.id} ended "${status}", expected "sukses"`);
      const { saldo } = expectStatus(await http(base, 'GET', '/saldo', { apiKey: keys.api_key }), 200, 'GET /saldo');
      if (saldo !== 100_000 - beli.harga) throw new Error(`saldo ${saldo} after one purchase of ${beli.harga} from 100000`);

      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      const exit = await exited;
      clearTimeout(timer);
      if (exit.code !== 0) throw new Error(`SIGTERM: exit ${JSON.stringify(exit)}, expected code 0`);
      const errors = out.split('\n').filter((line) => /"level":"(error|fatal)"/.test(line));
      if (errors.length > 0 || err.trim()) throw new Error(`errors logged:\n${[...errors, err].join('\n')}`);
      say(`Node ${node.version} ${engine}: register, buy (${beli.id} sukses), SIGTERM exit 0`);
    } catch (e) {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
      throw new Error(`Node ${node.version} ${engine}: ${e.message}\n--- stdout ---\n${out.slice(-4000)}\n--- stderr ---\n${err.slice(-4000)}`);
    }
  });
}

async function main() {
  if (!existsSync(MAIN_JS)) throw new Error(`${MAIN_JS} is missing: npm run build first`);
  const specs = process.argv.slice(2);
  if (specs.length === 0) throw new Error('usage: node .ci/smoke.js current|<major>|<x.y.z> ...');
  for (const spec of specs) {
    const node = spec === 'current' ? runtime.currentNode() : runtime.ensureNode(spec, say);
    const binding = spec === 'current' ? null : runtime.ensureSqliteBinding(node, say);
    for (const engine of ['sqlite', 'mysql']) await smoke(node, binding, engine);
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`[smoke] FAILED: ${e.message}\n`);
    process.exit(1);
  },
);
