import * as crypto from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A reseller's callback receiver for the specs. It verifies signatures with its own reading of
 * the Standard Webhooks spec (it imports nothing from src/): the signed content is
 * `{webhook-id}.{webhook-timestamp}.{body}`, the key is the base64 after `whsec_`, the header
 * holds space-separated `v1,<base64>` entries and one match is enough; a timestamp more than
 * 5 minutes away is refused.
 */
export interface ReceivedCallback {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json: { type: string; timestamp: string; data: Record<string, unknown> };
  /** Which of the receiver's secrets verified it (their indexes), empty when none did. */
  verifiedBy: number[];
  /** When it arrived (epoch ms). */
  at: number;
}

export type Responder = (req: IncomingMessage, body: string, res: ServerResponse) => void;

export class WebhookReceiver {
  readonly received: ReceivedCallback[] = [];
  secrets: string[] = [];
  /** Answers 204 unless a test sets another behaviour. */
  respond: Responder = (_req, _body, res) => {
    res.writeHead(204).end();
  };
  private server!: Server;
  baseUrl = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        let json: ReceivedCallback['json'];
        try {
          json = JSON.parse(body);
        } catch {
          json = { type: '', timestamp: '', data: {} };
        }
        this.received.push({ path: req.url ?? '', headers: req.headers, body, json, verifiedBy: this.verify(req.headers, body), at: Date.now() });
        this.respond(req, body, res);
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.baseUrl = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private verify(headers: ReceivedCallback['headers'], body: string): number[] {
    const id = String(headers['webhook-id'] ?? '');
    const timestamp = String(headers['webhook-timestamp'] ?? '');
    const header = String(headers['webhook-signature'] ?? '');
    if (!id || !/^\d+$/.test(timestamp) || Math.abs(Date.now() / 1000 - Number(timestamp)) > 300) return [];
    const offered = header
      .split(' ')
      .filter((entry) => entry.startsWith('v1,'))
      .map((entry) => Buffer.from(entry.slice(3), 'base64'));
    const matches: number[] = [];
    this.secrets.forEach((secret, index) => {
      const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
      const expected = crypto.createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest();
      if (offered.some((sig) => sig.length === expected.length && crypto.timingSafeEqual(sig, expected))) matches.push(index);
    });
    return matches;
  }
}
