import { Agent as HttpAgent, request as httpRequest, IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import type { CheckedTarget } from './callback-url';

/** The most of a receiver's answer that is read and stored. */
export const RESPONSE_BODY_CAP = 4096;

export interface SendResult {
  statusCode: number | null;
  durationMs: number;
  /** The first RESPONSE_BODY_CAP bytes of the answer, trimmed. */
  body: string | null;
  error: string | null;
  /** Retry-After of the answer, in ms, when it had one. */
  retryAfterMs: number | null;
}

// Keep-alive so a backlog to one receiver does not pay a TCP (and TLS) handshake per event.
const agents = {
  'http:': new HttpAgent({ keepAlive: true, maxSockets: 64 }),
  'https:': new HttpsAgent({ keepAlive: true, maxSockets: 64 }),
};

/**
 * One POST to a target whose address was checked just before (checkCallbackTarget). The socket
 * connects to that address: `lookup` answers with it instead of resolving the name again, so a
 * DNS answer that changes between the check and the dial (rebinding) cannot redirect us. The
 * Host header and TLS name stay the URL's. Redirects are answers like any other (Node's http
 * never follows them), and the whole exchange is bounded by `timeoutMs`.
 */
export function sendCallback(target: CheckedTarget, headers: Record<string, string>, body: string, timeoutMs: number): Promise<SendResult> {
  const started = performance.now();
  const { url } = target;
  const pinned: LookupFunction = (_hostname, options, callback) => {
    if ((options as { all?: boolean }).all) (callback as (e: null, a: Array<{ address: string; family: number }>) => void)(null, [{ address: target.address, family: target.family }]);
    else callback(null, target.address, target.family);
  };
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<SendResult>((resolve) => {
    let finished = false;
    const finish = (result: Omit<SendResult, 'durationMs'>) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      resolve({ ...result, durationMs: performance.now() - started });
    };
    const req = request(
      {
        protocol: url.protocol,
        // An IP literal needs no lookup; a name goes through `pinned`.
        hostname: url.hostname.replace(/^\[|\]$/g, ''),
        port: url.port || undefined,
        path: `${url.pathname}${url.search}`,
        method: 'POST',
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        agent: agents[url.protocol as 'http:' | 'https:'],
        lookup: pinned,
      },
      (res) => readCapped(res, (text) => finish({ statusCode: res.statusCode ?? null, body: text, error: null, retryAfterMs: parseRetryAfter(res.headers['retry-after']) })),
    );
    const timer = setTimeout(() => {
      req.destroy(new Error(`no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    req.on('error', (err) => finish({ statusCode: null, body: null, error: err.message, retryAfterMs: null }));
    req.end(body);
  });
}

function readCapped(res: IncomingMessage, done: (text: string | null) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    const text = Buffer.concat(chunks).subarray(0, RESPONSE_BODY_CAP).toString('utf8').trim();
    done(text === '' ? null : text);
  };
  res.on('data', (chunk: Buffer) => {
    if (size >= RESPONSE_BODY_CAP) return;
    chunks.push(chunk);
    size += chunk.length;
    // Enough read: a receiver cannot make us buffer an unbounded answer.
    if (size >= RESPONSE_BODY_CAP) {
      end();
      res.destroy();
    }
  });
  res.on('end', end);
  res.on('error', end);
  res.on('close', end);
}

/** Retry-After as seconds or an HTTP date, in ms; null when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined): number | null {
  const text = Array.isArray(value) ? value[0] : value;
  if (!text) return null;
  if (/^\d+$/.test(text.trim())) return Number(text.trim()) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? null : Math.max(0, at - Date.now());
}
