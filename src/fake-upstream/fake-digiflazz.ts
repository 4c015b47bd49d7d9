import { createHash, createHmac, randomUUID } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local stand-in for a Digiflazz-compatible buyer API, faithful to what the adapter relies on:
 * md5 signs, ref_id idempotency (re-sending a ref_id is the status check; a ref_id it never saw
 * creates the transaction), the sandbox numbers, callbacks with X-Hub-Signature, the price list
 * throttled to once per 5 minutes (rc 83), and knobs for the faults a real supplier shows.
 * In-memory: one process, state lost on restart (like a supplier you cannot see into).
 */

export interface FakeProduct {
  product_name: string;
  category: string;
  brand: string;
  type: string;
  seller_name: string;
  price: number | string;
  buyer_sku_code: string;
  buyer_product_status: boolean;
  seller_product_status: boolean;
  unlimited_stock: boolean;
  stock: number;
  multi: boolean;
  start_cut_off: string;
  end_cut_off: string;
  desc: string;
}

export interface FakeFaults {
  /** The next `slowCalls` /transaction answers wait this long (after the transaction is recorded). */
  slowMs: number;
  slowCalls: number;
  /** The next N /transaction calls are recorded, then answered 502 with an HTML body. */
  fail5xx: number;
  /** The next N /transaction calls are recorded, then the connection is reset (no answer). */
  resetAfterRecord: number;
  dropCallbacks: boolean;
  duplicateCallbacks: boolean;
  /** The final callback, then a stale Pending one for the same ref_id. */
  outOfOrderCallbacks: boolean;
  /** The next N /transaction calls for a new ref_id are answered rc 85 (limit: try later), nothing created; /inquiry-pln calls rc 86. */
  tryLaterCalls?: number;
}

export interface FakeOptions {
  username: string;
  apiKey: string;
  /** Where callbacks go (several, space-separated: taken in turn); none are sent when empty. */
  webhookUrl?: string;
  webhookSecret?: string | null;
  deposit?: number;
  /** How long a Pending transaction stays pending before it completes and calls back. */
  pendingMs?: number;
  /** Outside the sandbox: Sukses at once, or Pending then a callback. */
  liveMode?: 'sukses' | 'pending';
  priceListMinIntervalMs?: number;
  products?: FakeProduct[];
}

export interface FakeTransaction {
  ref_id: string;
  customer_no: string;
  buyer_sku_code: string;
  status: 'Sukses' | 'Pending' | 'Gagal';
  rc: string;
  message: string;
  sn: string;
  price: number;
  max_price: number | null;
  /** How many /transaction calls named this ref_id (1 = created, more = status checks). */
  calls: number;
  callbacks: number;
}

export const SANDBOX = { SKU: 'xld10', SUKSES: '087800001230', GAGAL: '087800001232', PENDING_SUKSES: '087800001233', PENDING_GAGAL: '087800001234' } as const;

/** Test PLN customers the fake knows. */
const PLN_CUSTOMERS: Record<string, { name: string; segment_power: string; meter_no: string; subscriber_id: string }> = {
  '530000000001': { name: 'BUDI SANTOSO', segment_power: 'R1 /000001300', meter_no: '45022000001', subscriber_id: '530000000001' },
  '530000000002': { name: 'SITI AMINAH', segment_power: 'R1 /000002200', meter_no: '45022000002', subscriber_id: '530000000002' },
};

export function defaultProducts(): FakeProduct[] {
  const p = (sku: string, name: string, category: string, brand: string, price: number | string, extra: Partial<FakeProduct> = {}): FakeProduct => ({
    product_name: name,
    category,
    brand,
    type: 'Umum',
    seller_name: 'Fake Seller',
    price,
    buyer_sku_code: sku,
    buyer_product_status: true,
    seller_product_status: true,
    unlimited_stock: true,
    stock: 0,
    multi: true,
    start_cut_off: '0:0',
    end_cut_off: '0:0',
    desc: name,
    ...extra,
  });
  return [
    p('xld10', 'XL 10.000', 'Pulsa', 'XL', 10_150),
    p('PULSA10', 'Pulsa 10.000', 'Pulsa', 'TELKOMSEL', '10500'),
    p('PULSA20', 'Pulsa 20.000', 'Pulsa', 'TELKOMSEL', 20_300),
    p('PLN50', 'PLN 50.000', 'PLN', 'PLN', 50_100),
  ];
}

/** No fault: the fake answers like a healthy supplier. */
export const NO_FAULTS: Readonly<FakeFaults> = { slowMs: 0, slowCalls: 0, fail5xx: 0, resetAfterRecord: 0, dropCallbacks: false, duplicateCallbacks: false, outOfOrderCallbacks: false };

export class FakeDigiflazz {
  readonly transactions = new Map<string, FakeTransaction>();
  faults: FakeFaults = { ...NO_FAULTS };
  deposit: number;
  products: FakeProduct[];
  webhookUrl: string;
  callbacksSent = 0;
  /** /transaction calls answered rc 85 by the `tryLaterCalls` fault. */
  tryLaterAnswered = 0;
  readonly callbacksByUrl = new Map<string, number>();
  private lastPriceList = -Infinity;
  priceListCalls = 0;
  priceListMinIntervalMs: number;
  private readonly server: Server;
  private readonly timers = new Set<NodeJS.Timeout>();
  private snSeq = 0;

  constructor(readonly options: FakeOptions) {
    this.deposit = options.deposit ?? 10_000_000;
    this.products = options.products ?? defaultProducts();
    this.webhookUrl = options.webhookUrl ?? '';
    this.priceListMinIntervalMs = options.priceListMinIntervalMs ?? 300_000;
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  async listen(port = 0, host = '127.0.0.1'): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(port, host, resolve));
    const { port: bound } = this.server.address() as AddressInfo;
    return `http://${host}:${bound}`;
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private sign(suffix: string): string {
    return createHash('md5').update(this.options.username + this.options.apiKey + suffix).digest('hex');
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    let body: Record<string, unknown> = {};
    try {
      body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : {};
    } catch {
      return this.answer(res, 400, { rc: '40', message: 'Payload Error' });
    }
    const path = (req.url ?? '').replace(/\/v1(?=\/)/, '');
    if (req.method === 'POST' && path.startsWith('/_fake/')) return this.control(path, body, res);
    if (req.method !== 'POST') return this.answer(res, 405, { rc: '40', message: 'Payload Error' });
    if (body.username !== this.options.username) return this.answer(res, 400, { rc: '41', message: 'Signature Anda salah' });
    switch (path) {
      case '/transaction':
        return this.transaction(body, res);
      case '/cek-saldo':
        if (body.cmd !== 'deposit' || body.sign !== this.sign('depo')) return this.answer(res, 400, { rc: '41', message: 'Signature Anda salah' });
        return this.answer(res, 200, { deposit: this.deposit });
      case '/price-list':
        return this.priceList(body, res);
      case '/inquiry-pln':
        return this.inquiryPln(body, res);
      default:
        return this.answer(res, 404, { rc: '40', message: 'Payload Error' });
    }
  }

  private async transaction(body: Record<string, unknown>, res: ServerResponse): Promise<void> {
    const refId = typeof body.ref_id === 'string' ? body.ref_id : '';
    const sku = typeof body.buyer_sku_code === 'string' ? body.buyer_sku_code : '';
    const customerNo = typeof body.customer_no === 'string' ? body.customer_no : '';
    if (!refId || !sku || !customerNo) return this.answer(res, 400, { ref_id: refId, rc: '40', message: 'Payload Error', status: 'Gagal' });
    if (body.sign !== this.sign(refId)) return this.answer(res, 400, { ref_id: refId, rc: '41', message: 'Signature Anda salah', status: 'Gagal' });
    const existing = this.transactions.get(refId);
    if (existing) {
      // The status check: the same ref_id again never creates a second transaction.
      if (existing.buyer_sku_code !== sku || existing.customer_no !== customerNo) {
        return this.answer(res, 400, { ref_id: refId, rc: '49', message: 'Ref ID tidak unik', status: 'Gagal' });
      }
      existing.calls++;
      return this.faulty(res, this.view(existing));
    }
    if ((this.faults.tryLaterCalls ?? 0) > 0) {
      this.faults.tryLaterCalls!--;
      this.tryLaterAnswered++;
      return this.answer(res, 400, this.refusal(refId, customerNo, sku, '85', 'Limitasi transaksi, silakan coba lagi nanti'));
    }
    const testing = body.testing === true;
    const product = this.products.find((p) => p.buyer_sku_code === sku);
    if (!product && !(testing && sku === SANDBOX.SKU)) return this.answer(res, 400, this.refusal(refId, customerNo, sku, '43', 'SKU tidak ditemukan atau Non-Aktif'));
    const price = product ? Number(product.price) : 10_150;
    if (product && (!product.buyer_product_status || !product.seller_product_status)) return this.answer(res, 400, this.refusal(refId, customerNo, sku, '43', 'SKU tidak ditemukan atau Non-Aktif'));
    if (typeof body.max_price === 'number' && body.max_price < price) return this.answer(res, 400, this.refusal(refId, customerNo, sku, '42', 'Harga melebihi max_price'));
    if (this.deposit < price) return this.answer(res, 400, this.refusal(refId, customerNo, sku, '44', 'Saldo tidak cukup'));

    const trx: FakeTransaction = { ref_id: refId, customer_no: customerNo, buyer_sku_code: sku, status: 'Pending', rc: '03', message: 'Transaksi Pending', sn: '', price, max_price: typeof body.max_price === 'number' ? body.max_price : null, calls: 1, callbacks: 0 };
    if (!testing) this.deposit -= price;
    this.transactions.set(refId, trx);
    const plan = this.plan(testing, customerNo);
    if (plan === 'Sukses' || plan === 'Gagal') this.complete(trx, plan, false);
    else this.later(() => this.complete(trx, plan === 'pending-gagal' ? 'Gagal' : 'Sukses', true), this.options.pendingMs ?? 200);
    return this.faulty(res, this.view(trx));
  }

  private plan(testing: boolean, customerNo: string): 'Sukses' | 'Gagal' | 'pending-sukses' | 'pending-gagal' {
    if (testing) {
      if (customerNo === SANDBOX.GAGAL) return 'Gagal';
      if (customerNo === SANDBOX.PENDING_SUKSES) return 'pending-sukses';
      if (customerNo === SANDBOX.PENDING_GAGAL) return 'pending-gagal';
      return 'Sukses';
    }
    return this.options.liveMode === 'pending' ? 'pending-sukses' : 'Sukses';
  }

  private complete(trx: FakeTransaction, status: 'Sukses' | 'Gagal', callBack: boolean): void {
    if (trx.status !== 'Pending') return;
    if (status === 'Sukses') {
      this.snSeq++;
      Object.assign(trx, { status, rc: '00', message: 'Transaksi Sukses', sn: `SN${Date.now()}${String(this.snSeq).padStart(6, '0')}` });
    } else {
      Object.assign(trx, { status, rc: '02', message: 'Transaksi Gagal', sn: '' });
      this.deposit += trx.price;
    }
    if (callBack) this.callBack(trx);
  }

  /** Settles a pending transaction now (tests). */
  settle(refId: string, status: 'Sukses' | 'Gagal', callBack = true): void {
    const trx = this.transactions.get(refId);
    if (trx) this.complete(trx, status, callBack);
  }

  private callBack(trx: FakeTransaction): void {
    if (!this.webhookUrl || this.faults.dropCallbacks) return;
    const final = this.view(trx);
    const sends: Array<Record<string, unknown>> = [final];
    if (this.faults.duplicateCallbacks) sends.push(final);
    if (this.faults.outOfOrderCallbacks) sends.push({ ...final, status: 'Pending', rc: '03', message: 'Transaksi Pending', sn: '' });
    void (async () => {
      for (const data of sends) {
        trx.callbacks++;
        await this.postCallback({ data }).catch(() => undefined);
      }
    })();
  }

  /** POSTs one event to the buyer's webhook, signed like the supplier's hookshot. */
  async postCallback(payload: unknown, event = 'update'): Promise<number> {
    const raw = JSON.stringify(payload);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'DigiFlazz-Hookshot',
      'x-digiflazz-event': event,
      'x-digiflazz-delivery': randomUUID(),
    };
    if (this.options.webhookSecret) headers['x-hub-signature'] = `sha1=${createHmac('sha1', this.options.webhookSecret).update(raw).digest('hex')}`;
    const urls = this.webhookUrl.split(/\s+/).filter(Boolean);
    const url = urls[this.callbacksSent % urls.length];
    this.callbacksSent++;
    this.callbacksByUrl.set(url, (this.callbacksByUrl.get(url) ?? 0) + 1);
    const res = await fetch(url, { method: 'POST', headers, body: raw, signal: AbortSignal.timeout(5_000) });
    await res.text();
    return res.status;
  }

  private priceList(body: Record<string, unknown>, res: ServerResponse): void {
    if (body.sign !== this.sign('pricelist')) return this.answer(res, 400, { rc: '41', message: 'Signature Anda salah' });
    const now = Date.now();
    this.priceListCalls++;
    if (now - this.lastPriceList < this.priceListMinIntervalMs) {
      return this.answer(res, 400, { rc: '83', message: 'Anda sudah melakukan pengecekan pricelist terlalu cepat, silakan coba lagi nanti' });
    }
    this.lastPriceList = now;
    return this.answer(res, 200, body.cmd === 'prepaid' ? this.products : []);
  }

  private inquiryPln(body: Record<string, unknown>, res: ServerResponse): void {
    const customerNo = typeof body.customer_no === 'string' ? body.customer_no : '';
    if (body.sign !== this.sign(customerNo)) return this.answer(res, 400, { rc: '41', message: 'Signature Anda salah' });
    if ((this.faults.tryLaterCalls ?? 0) > 0) {
      this.faults.tryLaterCalls!--;
      this.tryLaterAnswered++;
      return this.answer(res, 400, { status: 'Gagal', rc: '86', message: 'Limitasi cek nomor PLN, silakan coba lagi nanti', customer_no: customerNo });
    }
    const known = PLN_CUSTOMERS[customerNo];
    if (!known) return this.answer(res, 200, { status: 'Gagal', rc: '54', message: 'Nomor meter/idpel salah', customer_no: customerNo });
    return this.answer(res, 200, { status: 'Sukses', message: 'Transaksi Sukses', customer_no: customerNo, ...known });
  }

  private control(path: string, body: Record<string, unknown>, res: ServerResponse): void {
    if (path === '/_fake/faults') this.faults = { ...this.faults, ...(body as Partial<FakeFaults>) };
    else if (path === '/_fake/settle') this.settle(String(body.ref_id), body.status === 'Gagal' ? 'Gagal' : 'Sukses');
    else if (path === '/_fake/deposit') this.deposit = Number(body.deposit);
    else if (path === '/_fake/webhook') this.webhookUrl = String(body.url ?? '');
    else if (path === '/_fake/price-list-interval') this.priceListMinIntervalMs = Number(body.ms);
    else if (path === '/_fake/transactions') return this.answer(res, 200, [...this.transactions.values()]);
    return this.answer(res, 200, { ok: true });
  }

  /** Applies the answer faults: slow, 5xx after recording, reset after recording. */
  private async faulty(res: ServerResponse, data: Record<string, unknown>): Promise<void> {
    if (this.faults.slowCalls > 0) {
      this.faults.slowCalls--;
      await new Promise((resolve) => this.later(resolve, this.faults.slowMs));
    }
    if (this.faults.resetAfterRecord > 0) {
      this.faults.resetAfterRecord--;
      res.socket?.resetAndDestroy();
      return;
    }
    if (this.faults.fail5xx > 0) {
      this.faults.fail5xx--;
      res.writeHead(502, { 'content-type': 'text/html' }).end('<html><body>502 Bad Gateway</body></html>');
      return;
    }
    return this.answer(res, 200, data);
  }

  private view(trx: FakeTransaction): Record<string, unknown> {
    return {
      ref_id: trx.ref_id,
      customer_no: trx.customer_no,
      buyer_sku_code: trx.buyer_sku_code,
      message: trx.message,
      status: trx.status,
      rc: trx.rc,
      sn: trx.sn,
      buyer_last_saldo: this.deposit,
      price: trx.price,
    };
  }

  private refusal(refId: string, customerNo: string, sku: string, rc: string, message: string): Record<string, unknown> {
    return { ref_id: refId, customer_no: customerNo, buyer_sku_code: sku, message, status: 'Gagal', rc, sn: '', buyer_last_saldo: this.deposit, price: 0 };
  }

  private answer(res: ServerResponse, status: number, data: unknown): void {
    if (res.destroyed) return;
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ data }));
  }

  private later(fn: (value?: unknown) => void, ms: number): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }
}
