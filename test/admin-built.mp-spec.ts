import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ADMIN_KEY, adminEnv } from './support/admin';
import { assertBuilt, startInstance, useInstanceCleanup } from './support/instances';

jest.setTimeout(60_000);

/**
 * The built app (dist/) serves the operator console: the page and its script are plain files
 * that the build copies next to the compiled controller, so a build that forgets them would
 * only show here, not in the specs that run from src/.
 */
describe('the built app with the operator side on', () => {
  useInstanceCleanup();
  const dir = mkdtempSync(join(tmpdir(), 'ppob-mp-admin-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('serves the console page and its script, and the operator API behind x-admin-key', async () => {
    assertBuilt();
    const proc = await startInstance({ name: 'admin-built', cwd: dir, env: { ...adminEnv(), NODE_ENV: 'test', LOG_LEVEL: 'warn' } });
    const page = await fetch(`${proc.baseUrl}/admin/ui`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<script src="/admin/ui/console.js">');
    const script = await fetch(`${proc.baseUrl}/admin/ui/console.js`);
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toContain('text/javascript');
    expect(await script.text()).toContain('x-admin-key');
    expect((await fetch(`${proc.baseUrl}/admin/laporan`)).status).toBe(401);
    expect((await fetch(`${proc.baseUrl}/admin/laporan`, { headers: { 'x-admin-key': ADMIN_KEY } })).status).toBe(200);
    expect(await proc.kill('SIGTERM')).toEqual({ code: 0, signal: null });
  });
});
