import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { registerUser, saldoOf } from './support/factories';
import { ADMIN_KEY, adminEnv, reseller, userIdOf } from './support/admin';
import { describeEachEngine, TestApp } from './support/test-app';

/** Debian's chromium (`apt-get install chromium`; .ci/run installs it). CHROMIUM_PATH overrides. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const HAVE_BROWSER = existsSync(CHROMIUM);
const FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

if (!HAVE_BROWSER) {
  const bar = '!'.repeat(78);
  process.stdout.write(`\n${bar}\n[ppob tests] NO BROWSER at ${CHROMIUM}: the operator console browser test is SKIPPED.\n[ppob tests] Install it with \`apt-get install -y chromium\` (or set CHROMIUM_PATH).\n${bar}\n`);
}

const rupiah = (n: number) => new Intl.NumberFormat('id-ID').format(n);

/**
 * The page as the functions run inside the browser see it (this file is compiled without the
 * DOM's types). Functions, not strings: a string would be evaluated with eval, which the
 * console's Content-Security-Policy refuses, as it should.
 */
type PageGlobals = {
  document: { getElementById(id: string): { textContent: string | null } | null; querySelector(selector: string): { textContent: string | null } | null };
  __xss?: number;
};

const consoleSpecs = (t: TestApp) => {
    let context: BrowserContext;
    let page: Page;
    let profile: string;
    let base: string;

    beforeAll(async () => {
      await t.app.listen({ port: 0, host: '127.0.0.1' });
      const address = t.app.getHttpServer().address();
      base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
      // A fresh profile per run: nothing from an earlier session (storage, cache) leaks in.
      profile = mkdtempSync(join(tmpdir(), 'ppob-chromium-'));
      context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: FLAGS });
    }, 60_000);

    // A new tab per test: the console keeps the key in the tab's sessionStorage.
    beforeEach(async () => {
      page = await context.newPage();
      // The console asks before it moves money; the test says yes.
      page.on('dialog', (dialog) => void dialog.accept());
    });
    afterEach(async () => {
      await page?.close();
    });

    afterAll(async () => {
      await context?.close();
      if (profile) rmSync(profile, { recursive: true, force: true });
    });

    async function signIn(): Promise<void> {
      await page.goto(`${base}/admin/ui`);
      await page.fill('#kunci', ADMIN_KEY);
      await page.click('#form-masuk button[type=submit]');
      await page.waitForSelector('#nav', { state: 'visible' });
    }

    it('is served with a strict content security policy', async () => {
      const res = await fetch(`${base}/admin/ui`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/html');
      expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
      expect(res.headers.get('x-frame-options')).toBe('DENY');
    });

    it('refuses a wrong operator key and stays on the sign-in form', async () => {
      await page.goto(`${base}/admin/ui`);
      await page.fill('#kunci', 'x'.repeat(40));
      await page.click('#form-masuk button[type=submit]');
      await page.waitForFunction(() => (globalThis as unknown as PageGlobals).document.getElementById('pesan')?.textContent?.includes('ditolak'));
      expect(await page.isVisible('#nav')).toBe(false);
    });

    it('signs in, confirms a deposit through the page and shows the new saldo', async () => {
      const user = await registerUser(t.app, { nama: '<img src=x onerror="window.__xss=1">', saldo: 0 });
      const id = await userIdOf(t.app, user.email);
      const ticket = (await reseller(t.app, user.apiKey, 'POST', '/deposit', { jumlah: 100_000, bank: 'BCA' })).json();

      await signIn();
      await page.waitForSelector('#laporan-isi .card');
      expect(await page.textContent('#laporan-isi')).toContain('Cek ledger');

      await page.click('nav button[data-tab=deposit]');
      await page.waitForSelector(`tr[data-deposit-id="${ticket.id}"]`);
      expect(await page.textContent(`tr[data-deposit-id="${ticket.id}"]`)).toContain(rupiah(ticket.jumlah_transfer));
      await page.click(`[data-testid="konfirmasi-${ticket.id}"]`);
      await page.waitForFunction(() => (globalThis as unknown as PageGlobals).document.getElementById('pesan')?.textContent?.includes('dikonfirmasi'));
      expect(await page.textContent('#pesan')).toContain(rupiah(ticket.jumlah_transfer));
      // Confirmed tickets leave the pending list.
      await page.waitForSelector(`tr[data-deposit-id="${ticket.id}"]`, { state: 'detached' });

      await page.click('nav button[data-tab=reseller]');
      await page.waitForSelector(`[data-testid="saldo-${id}"]`);
      expect(await page.textContent(`[data-testid="saldo-${id}"]`)).toBe(rupiah(ticket.jumlah_transfer));
      expect(await saldoOf(t.app, user.apiKey)).toBe(ticket.jumlah_transfer);
      // The reseller's chosen name is shown as text, never run as markup.
      expect(await page.textContent(`tr[data-user-id="${id}"]`)).toContain('<img src=x');
      expect(await page.evaluate(() => (globalThis as unknown as PageGlobals).__xss)).toBeUndefined();
    }, 60_000);

    it('creates a product and changes its price through the edit form', async () => {
      await signIn();
      await page.click('nav button[data-tab=produk]');
      await page.waitForSelector('#produk-baris tr');
      await page.fill('#form-produk [name=nama]', 'Pulsa 5k konsol');
      await page.fill('#form-produk [name=kode]', 'UI5');
      await page.fill('#form-produk [name=harga]', '6500');
      await page.fill('#form-produk [name=nominal]', '5000');
      await page.click('#form-produk button[type=submit]');
      await page.waitForFunction(() => (globalThis as unknown as PageGlobals).document.getElementById('pesan')?.textContent?.includes('disimpan'));
      const created = (await t.app.inject({ method: 'GET', url: '/admin/produk', headers: { 'x-admin-key': ADMIN_KEY } })).json().find((p: { kode: string }) => p.kode === 'UI5');
      expect(created).toMatchObject({ nama: 'Pulsa 5k konsol', harga: 6_500, nominal: 5_000, kategori: 'umum', aktif: true });

      await page.click(`[data-testid="ubah-produk-${created.id}"]`);
      expect(await page.inputValue('#form-produk [name=harga]')).toBe('6500');
      await page.fill('#form-produk [name=harga]', '6400');
      // The create's "disimpan" message is still shown: wait for the PATCH itself.
      const patched = page.waitForResponse((r) => r.request().method() === 'PATCH' && r.url().endsWith(`/admin/produk/${created.id}`));
      await page.click('#form-produk button[type=submit]');
      expect((await patched).status()).toBe(200);
      const changed = (await t.app.inject({ method: 'GET', url: '/admin/produk', headers: { 'x-admin-key': ADMIN_KEY } })).json().find((p: { id: number }) => p.id === created.id);
      expect(changed).toMatchObject({ harga: 6_400, kode: 'UI5' });
    }, 60_000);

    it('lists a purchase waiting for an operator under its filter and refunds it once from the page', async () => {
      const user = await registerUser(t.app, { saldo: 20_000 });
      const bought = await t.app.inject({ method: 'POST', url: '/beli', headers: { 'x-api-key': user.apiKey }, payload: { produk_id: 1, nomor_tujuan: '087800000003' } });
      const trxId = bought.json().id;
      // What the processor leaves when the upstream cannot say whether it delivered.
      await t.dataSource.query("UPDATE transaksi SET status = 'proses', perlu_operator = 1, locked_by = NULL, locked_until = NULL WHERE id = ?", [trxId]);
      await signIn();
      await page.click('nav button[data-tab=transaksi]');
      await page.selectOption('#form-transaksi [name=perlu_operator]', 'true');
      await page.click('#form-transaksi button[type=submit]');
      await page.click(`[data-testid="gagal-${trxId}"]`);
      await page.waitForFunction(() => (globalThis as unknown as PageGlobals).document.getElementById('pesan')?.textContent?.includes('direfund'));
      expect(await saldoOf(t.app, user.apiKey)).toBe(20_000);
      const [refunds] = await t.dataSource.query("SELECT COUNT(*) AS n FROM mutasi WHERE jenis = 'refund' AND transaksi_id = ?", [trxId]);
      expect(Number(refunds.n)).toBe(1);
    }, 60_000);

    it('suspends a reseller from the page', async () => {
      const user = await registerUser(t.app, { saldo: 0 });
      const id = await userIdOf(t.app, user.email);
      await signIn();
      await page.click('nav button[data-tab=reseller]');
      await page.click(`[data-testid="aktif-${id}"]`);
      await page.waitForFunction((uid) => (globalThis as unknown as PageGlobals).document.querySelector(`tr[data-user-id="${uid}"]`)?.textContent?.includes('DINONAKTIFKAN'), id);
      const res = await t.app.inject({ method: 'GET', url: '/saldo', headers: { 'x-api-key': user.apiKey } });
      expect(res.json().code).toBe('USER_SUSPENDED');
    }, 60_000);
};

// The processor is off: purchases stay where the specs put them.
if (HAVE_BROWSER) describeEachEngine('operator console in a real browser', consoleSpecs, adminEnv({ PROCESSOR_ENABLED: 'false' }));
else describe.skip('operator console in a real browser (no browser installed)', () => consoleSpecs({} as TestApp));
