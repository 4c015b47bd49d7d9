// Verifies a callback (Standard Webhooks) with Node's crypto only.
// verify(secret, headers, rawBody) -> true when one signature matches and the timestamp is recent.
const { createHmac, timingSafeEqual } = require('node:crypto');

function verify(secret, headers, rawBody) {
  const id = headers['webhook-id'];
  const timestamp = headers['webhook-timestamp'];
  if (!id || !timestamp || Math.abs(Date.now() / 1000 - Number(timestamp)) > 300) return false;
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${rawBody}`).digest();
  // During a secret rotation the header carries two signatures: one match is enough.
  return String(headers['webhook-signature'] || '').split(' ').some((entry) => {
    const sig = Buffer.from(entry.replace(/^v1,/, ''), 'base64');
    return entry.startsWith('v1,') && sig.length === expected.length && timingSafeEqual(sig, expected);
  });
}

// A receiver: answer 2xx quickly; deduplicate on webhook-id (a retry sends the same id).
require('node:http')
  .createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk) => (raw += chunk));
    req.on('end', () => {
      if (!verify(process.env.WEBHOOK_SECRET, req.headers, raw)) return res.writeHead(401).end();
      console.log(req.headers['webhook-id'], JSON.parse(raw).type);
      res.writeHead(204).end();
    });
  })
  .listen(Number(process.env.PORT || 9000), '127.0.0.1');
