import { registerUser, waitFor } from './support/factories';
import { admin, adminEnv, reseller, userIdOf } from './support/admin';
import { describeEachEngine } from './support/test-app';
import { WebhookReceiver } from './support/webhook-receiver';

jest.setTimeout(60_000);

/**
 * The operator's writes that change what a reseller sees also send callbacks, from their own
 * transaction: a purchase settled by hand (transaksi.*), a confirmed deposit (deposit.sukses).
 * And the operator sets a reseller's own rate limit.
 */
describeEachEngine(
  'callbacks from operator actions, and the per-reseller rate limit',
  (t) => {
    const receiver = new WebhookReceiver();
    beforeAll(() => receiver.start());
    afterAll(() => receiver.stop());

    async function withEndpoint(path: string) {
      const user = await registerUser(t.app, { saldo: 50_000 });
      const put = await t.app.inject({ method: 'PUT', url: '/callback', headers: { 'x-api-key': user.apiKey }, payload: { url: `${receiver.baseUrl}${path}` } });
      receiver.secrets = [put.json().secret];
      return user;
    }

    /** A purchase the processor settled, then handed to an operator as if its outcome were unknown. */
    async function waitingForOperator(path: string, nomor: string) {
      const user = await withEndpoint(path);
      const buy = await t.app.inject({ method: 'POST', url: '/beli', headers: { 'x-api-key': user.apiKey }, payload: { produk_id: 1, nomor_tujuan: nomor } });
      const id: number = buy.json().id;
      await waitFor(async () => receiver.received.find((r) => r.path === path), 20_000, 'the processor callback');
      await t.dataSource.query('DELETE FROM callback_event WHERE transaksi_id = ?', [id]);
      await t.dataSource.query("UPDATE transaksi SET status = 'proses', sn = NULL, perlu_operator = 1, locked_by = NULL, locked_until = NULL WHERE id = ?", [id]);
      return { user, id, before: receiver.received.length };
    }

    it('a purchase settled by the operator sends one signed transaksi.gagal with the refunded saldo', async () => {
      const { id, before } = await waitingForOperator('/op-settle', '087800000001');
      const res = await admin(t.app, 'POST', `/admin/transaksi/${id}/selesaikan`, { status: 'gagal' });
      expect(res.statusCode).toBe(200);
      const got = await waitFor(async () => receiver.received.slice(before).find((r) => r.json.data.id === id), 20_000, 'the operator callback');
      expect(got.json.type).toBe('transaksi.gagal');
      expect(got.verifiedBy).toEqual([0]);
      expect(got.json.data.saldo).toBe(50_000);
      expect(got.json.data.status).toBe('gagal');
    });

    it('a purchase settled sukses by the operator sends the sn it stored, as /status shows it', async () => {
      const { user, id, before } = await waitingForOperator('/op-settle-sn', '087800000002');
      const res = await admin(t.app, 'POST', `/admin/transaksi/${id}/selesaikan`, { status: 'sukses', sn: '0123456789012345' });
      expect(res.statusCode).toBe(200);
      const got = await waitFor(async () => receiver.received.slice(before).find((r) => r.json.data.id === id), 20_000, 'the operator callback');
      const status = (await reseller(t.app, user.apiKey, 'GET', `/status/${id}`)).json();
      expect(status.sn).toBe('0123456789012345');
      expect(got.json.type).toBe('transaksi.sukses');
      expect(got.json.data.sn).toBe('0123456789012345');
    });

    it('a confirmed deposit sends deposit.sukses with the new saldo', async () => {
      const user = await withEndpoint('/op-deposit');
      const ticket = (await reseller(t.app, user.apiKey, 'POST', '/deposit', { jumlah: 50_000, bank: 'BCA' })).json();
      expect((await admin(t.app, 'POST', `/admin/deposit/${ticket.id}/konfirmasi`)).statusCode).toBe(200);
      const got = await waitFor(async () => receiver.received.find((r) => r.path === '/op-deposit' && r.json.type === 'deposit.sukses'), 20_000, 'the deposit callback');
      expect(got.verifiedBy).toEqual([0]);
      expect(got.json.data.id).toBe(ticket.id);
      expect(got.json.data.saldo).toBe(50_000 + ticket.jumlah_transfer);
    });

    it('PATCH /admin/users/{id} sets and clears rate_limit_per_minute, and refuses bad values', async () => {
      const user = await registerUser(t.app);
      const id = await userIdOf(t.app, user.email);
      const set = await admin(t.app, 'PATCH', `/admin/users/${id}`, { rate_limit_per_minute: 120_000 });
      expect(set.statusCode).toBe(200);
      expect(set.json()).toMatchObject({ id, aktif: true, rate_limit_per_minute: 120_000 });
      const [row] = await t.dataSource.query('SELECT rate_limit_per_minute FROM users WHERE id = ?', [id]);
      expect(Number(row.rate_limit_per_minute)).toBe(120_000);
      for (const bad of [{ rate_limit_per_minute: -1 }, { rate_limit_per_minute: 1.5 }, { rate_limit_per_minute: 'x' }, {}]) {
        expect((await admin(t.app, 'PATCH', `/admin/users/${id}`, bad)).statusCode).toBe(400);
      }
      const cleared = await admin(t.app, 'PATCH', `/admin/users/${id}`, { rate_limit_per_minute: null });
      expect(cleared.json().rate_limit_per_minute).toBeNull();
    });
  },
  adminEnv({ CALLBACK_INTERVAL_MS: '50', CALLBACK_RETRY_SCHEDULE: '100ms' }),
);
