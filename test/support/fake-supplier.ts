import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { FakeDigiflazz, FakeOptions, NO_FAULTS } from '../../src/fake-upstream/fake-digiflazz';
import { admin, adminEnv, userIdOf } from './admin';
import { registerUser, TestUser, waitFor } from './factories';
import { startTestApp, TestApp } from './test-app';
import type { Engine } from './test-db';

export const FAKE_USERNAME = 'fakebuyer';
export const FAKE_API_KEY = 'fake-api-key-0123456789';
export const FAKE_SECRET = 'fake-webhook-secret';

/** harga_modal of the sandbox SKU in the fake's price list, and the markup the stack sells at. */
export const XLD10_MODAL = 10_150;
export const MARKUP = 850;
export const XLD10_HARGA = XLD10_MODAL + MARKUP;

/** The app's env for the Digiflazz provider against `url`; register-time saldo stays off (a real supplier refuses it). */
export function supplierEnv(url: string, env: Record<string, string> = {}): Record<string, string> {
  return adminEnv({
    ALLOW_REGISTER_SALDO: 'false',
    PPOB_PROVIDER: 'digiflazz',
    DIGIFLAZZ_URL: url,
    DIGIFLAZZ_USERNAME: FAKE_USERNAME,
    DIGIFLAZZ_API_KEY: FAKE_API_KEY,
    DIGIFLAZZ_WEBHOOK_SECRET: FAKE_SECRET,
    DIGIFLAZZ_TESTING: 'true',
    DIGIFLAZZ_TIMEOUT_MS: '1500',
    DIGIFLAZZ_MARKUP: String(MARKUP),
    PROCESSOR_LEASE_MS: '3000',
    PROCESSOR_MAX_ATTEMPTS: '4',
    ...env,
  });
}

export interface SupplierStack {
  fake: FakeDigiflazz;
  t: TestApp;
  /** The sandbox product (kode xld10), priced by a sync. */
  produkId: number;
  close(): Promise<void>;
}

/**
 * One SupplierStack for the tests of a describe block: started before them, the fake healthy
 * again (NO_FAULTS) before each, closed after them. The returned object reads through to the
 * stack that is running.
 */
export function useSupplierStack(engine: Engine): SupplierStack {
  let stack: SupplierStack | undefined;
  beforeAll(async () => {
    stack = await startSupplierStack(engine);
  });
  afterAll(async () => {
    await stack?.close();
  });
  beforeEach(() => {
    stack!.fake.faults = { ...NO_FAULTS };
  });
  return {
    get fake() {
      return stack!.fake;
    },
    get t() {
      return stack!.t;
    },
    get produkId() {
      return stack!.produkId;
    },
    close: () => stack!.close(),
  };
}

/**
 * The fake supplier, and the real app listening on a free port so the fake's callbacks reach
 * it over HTTP; the sandbox product is created and priced through the operator API.
 */
export async function startSupplierStack(engine: Engine, env: Record<string, string> = {}, fakeOptions: Partial<FakeOptions> = {}): Promise<SupplierStack> {
  const fake = new FakeDigiflazz({ username: FAKE_USERNAME, apiKey: FAKE_API_KEY, webhookSecret: FAKE_SECRET, pendingMs: 300, priceListMinIntervalMs: 0, ...fakeOptions });
  const url = await fake.listen();
  let t: TestApp | undefined;
  try {
    t = await startTestApp(engine, supplierEnv(url, env));
    await t.app.listen(0, '127.0.0.1');
    fake.webhookUrl = `${await t.app.getUrl()}/webhook/digiflazz`.replace('[::1]', '127.0.0.1');
    const created = await admin(t.app, 'POST', '/admin/produk', { nama: 'XL 10k', kode: 'xld10', kategori: 'pulsa', harga: 99_000, nominal: 10_000 });
    if (created.statusCode !== 200) throw new Error(`creating the sandbox product failed: ${created.body}`);
    await syncProduk(t.app);
    const app = t;
    return { fake, t, produkId: created.json().id, close: async () => { await app.close(); await fake.close(); } };
  } catch (err) {
    await t?.close();
    await fake.close();
    throw err;
  }
}

/** POST /admin/produk/sync, waiting out the start-up sync if it is still running. */
export async function syncProduk(app: NestFastifyApplication) {
  return waitFor(async () => {
    const res = await admin(app, 'POST', '/admin/produk/sync');
    return res.statusCode === 409 && res.json().code === 'SUPPLIER_SYNC_RUNNING' ? undefined : res;
  }, 10_000, 'the price-list sync');
}

/** A reseller funded through the operator's koreksi (register-time saldo is refused with a real supplier). */
export async function fundedReseller(app: NestFastifyApplication, saldo: number): Promise<TestUser & { id: number }> {
  const user = await registerUser(app, { saldo: 0 });
  const id = await userIdOf(app, user.email);
  const res = await admin(app, 'POST', `/admin/users/${id}/saldo`, { jumlah: saldo, keterangan: 'modal awal test', ref: `FUND-${id}` });
  if (res.statusCode !== 200) throw new Error(`koreksi failed: ${res.statusCode} ${res.body}`);
  return { ...user, id };
}
