import { TransactionRunner } from '../src/database/transaction-runner';
import { TransaksiQueueService } from '../src/transaksi/transaksi-queue.service';
import { beli, registerUser } from './support/factories';
import { checkLedger } from './support/invariants';
import { describeEachEngine } from './support/test-app';

/**
 * Results written together (group commit): many finalize() calls at once share transactions,
 * each row is still fenced on its own lease, and each gagal is refunded exactly once.
 */
describeEachEngine('finalize under load', (t) => {
  it('writes many results in a few transactions, fencing each row and refunding each gagal once', async () => {
    const queue = t.app.get(TransaksiQueueService);
    const runner = t.app.get(TransactionRunner);
    const users = [await registerUser(t.app, { saldo: 1_000_000 }), await registerUser(t.app, { saldo: 1_000_000 })];
    for (let i = 0; i < 40; i++) {
      expect((await beli(t.app, users[i % 2].apiKey, { nomor_tujuan: `0812000000${String(i).padStart(2, '0')}` })).statusCode).toBe(200);
    }
    const rows = await queue.claim(40);
    expect(rows).toHaveLength(40);
    // Another instance took one row over (our lease ran out): its result must not be written.
    const stolen = rows[7];
    await t.dataSource.query("UPDATE transaksi SET locked_by = 'someone-else' WHERE id = ?", [stolen.id]);

    const transactions = jest.spyOn(runner, 'run');
    const outcomes = await Promise.all(
      rows.map((row, i) => queue.finalize(row, i % 3 === 0 ? { status: 'gagal', hasil: `Gagal ${row.id}`, refund: true } : { status: 'sukses', hasil: `Sukses. SN: ${row.id}`, refund: false })),
    );
    transactions.mockRestore();

    expect(outcomes.filter((o) => o === 'lease-lost')).toHaveLength(1);
    expect(outcomes[7]).toBe('lease-lost');
    // 40 results, at most MAX_FINALIZE_BATCH each: the first alone, the rest together.
    expect(transactions.mock.calls.length).toBeLessThanOrEqual(3);

    const stored: Array<{ id: string | number; status: string; hasil_eksekusi: string; locked_by: string | null }> = await t.dataSource.query(
      'SELECT id, status, hasil_eksekusi, locked_by FROM transaksi ORDER BY id',
    );
    for (const [i, row] of rows.entries()) {
      const s = stored.find((r) => Number(r.id) === row.id)!;
      if (row.id === stolen.id) {
        expect(s).toMatchObject({ status: 'proses', locked_by: 'someone-else' });
        continue;
      }
      expect(s.status).toBe(i % 3 === 0 ? 'gagal' : 'sukses');
      expect(s.hasil_eksekusi).toBe(i % 3 === 0 ? `Gagal ${row.id}` : `Sukses. SN: ${row.id}`);
      expect(s.locked_by).toBeNull();
    }
    const refunds: Array<{ transaksi_id: string | number }> = await t.dataSource.query("SELECT transaksi_id FROM mutasi WHERE jenis = 'refund'");
    const expected = rows.filter((r, i) => i % 3 === 0 && r.id !== stolen.id).map((r) => r.id).sort((a, b) => a - b);
    expect(refunds.map((r) => Number(r.transaksi_id)).sort((a, b) => a - b)).toEqual(expected);
    for (const check of await checkLedger(t.dataSource)) {
      expect(check.saldo).toBe(check.ledgerSum);
      expect(check.saldo).toBe(check.lastSaldoAkhir);
    }
  });

  it('does not write a result twice when the same row is finalized again', async () => {
    const queue = t.app.get(TransaksiQueueService);
    const user = await registerUser(t.app, { saldo: 100_000 });
    expect((await beli(t.app, user.apiKey, { nomor_tujuan: '081299999999' })).statusCode).toBe(200);
    const [row] = await queue.claim(1);
    const outcomes = await Promise.all([
      queue.finalize(row, { status: 'gagal', hasil: 'Gagal', refund: true }),
      queue.finalize(row, { status: 'gagal', hasil: 'Gagal', refund: true }),
    ]);
    expect(outcomes.sort()).toEqual(['lease-lost', 'written']);
    const [refunds] = await t.dataSource.query("SELECT COUNT(*) AS n FROM mutasi WHERE jenis = 'refund' AND transaksi_id = ?", [row.id]);
    expect(Number(refunds.n)).toBe(1);
  });
}, { PROCESSOR_ENABLED: 'false' });
