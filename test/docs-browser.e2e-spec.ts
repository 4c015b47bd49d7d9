import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { describeEachEngine } from './support/test-app';

/**
 * /docs in a real browser, as a newcomer uses it: register, paste the key into "Authorize", run
 * GET /produk with "Try it out" and see 200. Debian's chromium (`.ci/run` installs it); where
 * there is none the spec is skipped, loudly.
 */
/** Debian's chromium; CHROMIUM_PATH overrides (as for test/admin-console.e2e-spec.ts). */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const HAVE_BROWSER = existsSync(CHROMIUM);

if (!HAVE_BROWSER) {
  console.warn(
    `\n${'!'.repeat(78)}\n!! NO BROWSER at ${CHROMIUM}: the /docs browser test is SKIPPED.\n!! Install it (Debian: apt-get install -y chromium) to run it; .ci/run does.\n${'!'.repeat(78)}\n`,
  );
}

// Starting chromium on a loaded 2-core machine takes a while.
jest.setTimeout(120_000);

const describeWithBrowser = HAVE_BROWSER ? describeEachEngine : (title: string) => describe.skip(title, () => it.todo('needs a browser'));

describeWithBrowser(
  '/docs in a browser',
  (t) => {
    let baseUrl: string;
    let profileDir: string;
    let browser: BrowserContext;

    beforeAll(async () => {
      await t.app.listen(0, '127.0.0.1');
      baseUrl = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
      profileDir = mkdtempSync(join(tmpdir(), 'ppob-chromium-'));
      // A persistent context is how playwright takes a --user-data-dir: a fresh one per run.
      browser = await chromium.launchPersistentContext(profileDir, {
        executablePath: CHROMIUM,
        headless: true,
        args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      });
    });

    afterAll(async () => {
      await browser?.close();
      if (profileDir) rmSync(profileDir, { recursive: true, force: true });
    });

    it('authorizes with a key from /register and runs GET /produk with "Try it out": 200 and the products', async () => {
      const registered = await fetch(`${baseUrl}/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ nama: 'Pembaca Docs', email: 'docs-browser@example.com' }),
      });
      expect(registered.status).toBe(200);
      const { api_key: apiKey } = (await registered.json()) as { api_key: string };

      const page = await browser.newPage();
      await page.goto(`${baseUrl}/docs`);

      await page.locator('.scheme-container button.authorize').click();
      // The dialog has one form per scheme (x-api-key, and the operator's x-admin-key).
      const form = page.locator('.dialog-ux .modal-ux form').filter({ hasText: 'x-api-key' });
      await form.locator('input').first().fill(apiKey);
      await form.locator('.auth-btn-wrapper button.authorize').click();
      await page.locator('.dialog-ux .modal-ux button.btn-done').first().click();

      const operation = page.locator('.opblock-get').filter({ has: page.locator('.opblock-summary-path[data-path="/produk"]') });
      await operation.locator('.opblock-summary').first().click();
      await operation.locator('button.try-out__btn').click();
      await operation.locator('button.execute').click();

      const status = operation.locator('.live-responses-table .response .response-col_status').first();
      await status.waitFor({ timeout: 30_000 });
      expect((await status.innerText()).trim()).toBe('200');
      const body = await operation.locator('.live-responses-table .response-col_description pre').first().innerText();
      expect(body).toContain('Pulsa 10k');
      // The request went with the key the dialog was given.
      expect(await operation.locator('.curl-command').innerText()).toContain(`x-api-key: ${apiKey}`);
    });
  },
  { PROCESSOR_ENABLED: 'false' },
);
