// Signs a request to the PPOB API with Node's crypto only (Node 18+).
// PPOB_URL=http://127.0.0.1:8000 API_KEY=... PRIVATE_KEY=... node sign-request.js
const { createHash, createHmac, randomBytes } = require('node:crypto');

async function signedFetch(method, pathWithQuery, body) {
  const raw = body === undefined ? '' : JSON.stringify(body);
  const timestamp = String(Math.floor(Date.now() / 1000));
  const nonce = randomBytes(16).toString('hex');
  const bodyHash = createHash('sha256').update(raw).digest('hex');
  const canonical = ['v1', timestamp, nonce, method, pathWithQuery, bodyHash].join('\n');
  // The key is the private key exactly as /register or /generate-key showed it (64 characters).
  const signature = 'v1,' + createHmac('sha256', process.env.PRIVATE_KEY).update(canonical).digest('base64');
  const headers = { 'x-api-key': process.env.API_KEY, 'x-timestamp': timestamp, 'x-nonce': nonce, 'x-signature': signature };
  if (raw) headers['content-type'] = 'application/json';
  const res = await fetch(process.env.PPOB_URL + pathWithQuery, { method, headers, body: raw || undefined });
  return { status: res.status, body: await res.json() };
}

(async () => {
  console.log(JSON.stringify(await signedFetch('GET', '/riwayat?limit=5')));
  console.log(JSON.stringify(await signedFetch('POST', '/beli', { produk_id: 1, nomor_tujuan: '087800000001' })));
})();
