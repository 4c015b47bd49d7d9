'use strict';
/**
 * The benchmark's baseline: the same routes as the service, written by hand with Fastify and a
 * mysql2 pool, no framework, against the same schema (the service's migrations create it). It
 * sends the statements a careful hand-written server needs for the same semantics:
 *
 *   every request   SELECT id, nama, email FROM users WHERE api_key_hash = sha256(lower(key)) LIMIT 1
 *   GET /produk     SELECT id, nama, harga, nominal, deskripsi FROM produk WHERE aktif = true ORDER BY id
 *   GET /status/:id SELECT <all columns> FROM transaksi WHERE id = ? AND user_id = ? LIMIT 1
 *   POST /beli      SELECT <produk> WHERE id = ? AND aktif = true LIMIT 1
 *                   START TRANSACTION
 *                     UPDATE users SET saldo = saldo - ?, updated_at = ? WHERE id = ? AND saldo >= ?
 *                     SELECT saldo FROM users WHERE id = ?            (saldo_akhir; the row is ours)
 *                     INSERT INTO transaksi (...) VALUES (... 'pending' ...)
 *                     INSERT INTO mutasi (...) VALUES (... saldo_akhir ...)
 *                   COMMIT
 *                   (a duplicate (user_id, ref_id) rolls back and answers the existing row or 409)
 *
 * Statements go through pool.query (text protocol, client-side escaping), like TypeORM's mysql
 * driver. It has no processor: purchases stay pending.
 *
 * Env: DATABASE_URL (mysql://...), PORT, HOST, DATABASE_POOL_SIZE (default 20, as the service).
 */
const { createHash, randomUUID } = require('node:crypto');
const Fastify = require('fastify');
const mysql = require('mysql2/promise');

const KEY_RE = /^[0-9a-fA-F]{64}$/;
const NOMOR_RE = /^[0-9]{6,20}$/;
const REF_RE = /^[A-Za-z0-9._-]{1,64}$/;

const pool = mysql.createPool({
  uri: process.env.DATABASE_URL,
  connectionLimit: Number(process.env.DATABASE_POOL_SIZE ?? 20),
  charset: 'utf8mb4_unicode_ci',
  timezone: 'Z',
  supportBigNumbers: true,
  bigNumberStrings: true,
  enableKeepAlive: true,
});

const app = Fastify({ logger: false, bodyLimit: 16 * 1024 });
app.removeContentTypeParser('text/plain');

function fail(reply, statusCode, code, detail) {
  return reply.code(statusCode).send({ statusCode, code, detail });
}

/** ISO time with milliseconds as MariaDB DATETIME(3) text, UTC. */
function sqlTime(d) {
  return d.toISOString().slice(0, 23).replace('T', ' ');
}

const isInt = (v) => typeof v === 'number' && Number.isInteger(v);

app.addHook('onRequest', async (request, reply) => {
  if (request.url === '/health') return;
  const key = request.headers['x-api-key'];
  if (key === undefined) return fail(reply, 401, 'UNAUTHORIZED', 'Header x-api-key wajib diisi');
  if (!KEY_RE.test(key)) return fail(reply, 401, 'UNAUTHORIZED', 'API key tidak valid');
  const hash = createHash('sha256').update(key.toLowerCase()).digest('hex');
  const [rows] = await pool.query('SELECT id, nama, email FROM users WHERE api_key_hash = ? LIMIT 1', [hash]);
  if (rows.length === 0) return fail(reply, 401, 'UNAUTHORIZED', 'API key tidak valid');
  request.user = { id: Number(rows[0].id), nama: rows[0].nama, email: rows[0].email };
});

app.get('/health', async () => {
  await pool.query('SELECT 1');
  return { status: 'ok', db: 'up' };
});

app.get('/produk', async () => {
  const [rows] = await pool.query('SELECT id, nama, harga, nominal, deskripsi FROM produk WHERE aktif = true ORDER BY id');
  return rows.map((r) => ({ id: r.id, nama: r.nama, harga: Number(r.harga), nominal: Number(r.nominal), deskripsi: r.deskripsi }));
});

const TRANSAKSI_COLUMNS =
  'id, user_id, produk_id, ref_id, nomor_tujuan, nominal, harga, status, hasil_eksekusi, attempts, locked_by, locked_until, waktu, updated_at';

function transaksiResponse(r) {
  return {
    id: Number(r.id),
    ref_id: r.ref_id,
    produk_id: r.produk_id,
    nomor_tujuan: r.nomor_tujuan,
    nominal: Number(r.nominal),
    harga: Number(r.harga),
    status: r.status,
    waktu: r.waktu.toISOString(),
    updated_at: r.updated_at.toISOString(),
    hasil_eksekusi: r.hasil_eksekusi,
  };
}

app.get('/status/:id', async (request, reply) => {
  const raw = request.params.id;
  if (!/^[1-9]\d{0,15}$/.test(raw) || !Number.isSafeInteger(Number(raw))) {
    return fail(reply, 400, 'VALIDATION_FAILED', 'trx_id must be a positive integer');
  }
  const [rows] = await pool.query(`SELECT ${TRANSAKSI_COLUMNS} FROM transaksi WHERE id = ? AND user_id = ? LIMIT 1`, [Number(raw), request.user.id]);
  if (rows.length === 0) return fail(reply, 404, 'TRANSAKSI_NOT_FOUND', `Transaksi ${raw} tidak ditemukan`);
  return transaksiResponse(rows[0]);
});

function validateBeli(body) {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return 'body must be a JSON object';
  for (const k of Object.keys(body)) {
    if (!['produk_id', 'nomor_tujuan', 'nominal', 'ref_id'].includes(k)) return `property ${k} should not exist`;
  }
  if (!isInt(body.produk_id) || body.produk_id < 1 || body.produk_id > 2_147_483_647) return 'produk_id must be a positive integer';
  if (typeof body.nomor_tujuan !== 'string' || !NOMOR_RE.test(body.nomor_tujuan)) return 'nomor_tujuan must be 6-20 digits';
  if (body.nominal !== undefined && (!isInt(body.nominal) || body.nominal < 1 || body.nominal > 1e12)) return 'nominal must be a positive integer';
  if (body.ref_id !== undefined && (typeof body.ref_id !== 'string' || !REF_RE.test(body.ref_id))) return 'ref_id must be 1-64 characters of A-Z a-z 0-9 . _ -';
  return null;
}

class Insufficient extends Error {}

app.post('/beli', async (request, reply) => {
  const body = request.body;
  const problem = validateBeli(body);
  if (problem) return fail(reply, 400, 'VALIDATION_FAILED', problem);
  const user = request.user;
  const [produkRows] = await pool.query('SELECT id, nama, harga, nominal FROM produk WHERE id = ? AND aktif = true LIMIT 1', [body.produk_id]);
  if (produkRows.length === 0) return fail(reply, 422, 'PRODUK_NOT_FOUND', `Produk ${body.produk_id} tidak ditemukan atau tidak aktif`);
  const produk = { id: produkRows[0].id, nama: produkRows[0].nama, harga: Number(produkRows[0].harga), nominal: Number(produkRows[0].nominal) };
  if (body.nominal !== undefined && body.nominal !== produk.nominal) {
    return fail(reply, 422, 'NOMINAL_MISMATCH', `Nominal ${body.nominal} tidak sesuai dengan produk ${produk.nama} (${produk.nominal})`);
  }
  const refId = body.ref_id ?? randomUUID().replace(/-/g, '');
  const conn = await pool.getConnection();
  try {
    await conn.beginTransaction();
    try {
      const now = new Date();
      const [debit] = await conn.query('UPDATE users SET saldo = saldo - ?, updated_at = ? WHERE id = ? AND saldo >= ?', [produk.harga, sqlTime(now), user.id, produk.harga]);
      if (debit.affectedRows !== 1) throw new Insufficient();
      const [[{ saldo }]] = await conn.query('SELECT saldo FROM users WHERE id = ? LIMIT 1', [user.id]);
      const saldoAkhir = Number(saldo);
      const [ins] = await conn.query(
        `INSERT INTO transaksi (user_id, produk_id, ref_id, nomor_tujuan, nominal, harga, status, hasil_eksekusi, attempts, locked_by, locked_until, waktu, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, 'pending', NULL, 0, NULL, NULL, ?, ?)`,
        [user.id, produk.id, refId, body.nomor_tujuan, produk.nominal, produk.harga, sqlTime(now), sqlTime(now)],
      );
      const trxId = Number(ins.insertId);
      await conn.query(
        'INSERT INTO mutasi (user_id, transaksi_id, jenis, jumlah, saldo_akhir, keterangan, waktu) VALUES (?, ?, ?, ?, ?, ?, ?)',
        [user.id, trxId, 'debit', -produk.harga, saldoAkhir, `Pembelian ${produk.nama} ke ${body.nomor_tujuan}`.slice(0, 255), sqlTime(new Date())],
      );
      await conn.commit();
      return { id: trxId, status: 'pending', ref_id: refId, harga: produk.harga, saldo: saldoAkhir };
    } catch (err) {
      await conn.rollback().catch(() => undefined);
      if (err instanceof Insufficient) return fail(reply, 402, 'INSUFFICIENT_SALDO', `Saldo tidak cukup: harga ${produk.nama} Rp${produk.harga}`);
      if (err.code === 'ER_DUP_ENTRY' && body.ref_id) {
        const [rows] = await conn.query(`SELECT ${TRANSAKSI_COLUMNS} FROM transaksi WHERE user_id = ? AND ref_id = ? LIMIT 1`, [user.id, body.ref_id]);
        const row = rows[0];
        if (row && row.produk_id === body.produk_id && row.nomor_tujuan === body.nomor_tujuan) {
          const [[{ saldo }]] = await conn.query('SELECT saldo FROM users WHERE id = ? LIMIT 1', [user.id]);
          return { id: Number(row.id), status: row.status, ref_id: row.ref_id, harga: Number(row.harga), saldo: Number(saldo) };
        }
        return fail(reply, 409, 'REF_ID_CONFLICT', `ref_id ${body.ref_id} sudah dipakai untuk transaksi lain`);
      }
      throw err;
    }
  } finally {
    conn.release();
  }
});

app.setErrorHandler((err, _request, reply) => {
  if (err.statusCode && err.statusCode < 500) return fail(reply, err.statusCode, 'VALIDATION_FAILED', err.message);
  console.error(err);
  return fail(reply, 500, 'INTERNAL', 'Internal error');
});

async function main() {
  await app.listen({ port: Number(process.env.PORT ?? 8100), host: process.env.HOST ?? '127.0.0.1' });
}

async function shutdown() {
  await app.close().catch(() => undefined);
  await pool.end().catch(() => undefined);
  process.exit(0);
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);

main().catch((err) => {
  console.error('baseline-server: failed to start:', err);
  process.exit(1);
});
