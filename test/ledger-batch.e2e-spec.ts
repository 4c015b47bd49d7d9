import { DataSource } from 'typeorm';
import { TransactionRunner } from '../src/database/transaction-runner';
import { LedgerService, LedgerTargetMissingError } from '../src/users/ledger.service';
import { countRows, registerUser, saldoOf } from './support/factories';
import { checkLedger } from './support/invariants';
import { describeEachEngine } from './support/test-app';

/** saldo = ledger sum = last saldo_akhir for every user (these credits belong to no purchase). */
async function expectLedgerMatchesSaldo(dataSource: DataSource): Promise<void> {
  for (const check of await checkLedger(dataSource)) {
    expect(check.saldo).toBe(check.ledgerSum);
    expect(check.saldo).toBe(check.lastSaldoAkhir);
  }
}

/** The batch forms of the ledger (issue 13): many balance changes, still each with its own mutasi row. */
describeEachEngine(
  'LedgerService batch forms',
  (t) => {
    async function userId(email: string): Promise<number> {
      const [row] = await t.app.get(DataSource).query('SELECT id FROM users WHERE email = ?', [email]);
      return Number(row.id);
    }

    it('applyCredits credits several users, each entry with its own rising saldo_akhir, in the order given', async () => {
      const a = await registerUser(t.app, { saldo: 1_000 });
      const b = await registerUser(t.app, { saldo: 5_000 });
      const [idA, idB] = [await userId(a.email), await userId(b.email)];
      const ledger = t.app.get(LedgerService);
      await t.app.get(TransactionRunner).run((manager) =>
        ledger.applyCredits(manager, [
          { userId: idB, jumlah: 300, jenis: 'refund', transaksiId: null, keterangan: 'b1' },
          { userId: idA, jumlah: 100, jenis: 'refund', transaksiId: null, keterangan: 'a1' },
          { userId: idA, jumlah: 200, jenis: 'refund', transaksiId: null, keterangan: 'a2' },
        ]),
      );
      expect(await saldoOf(t.app, a.apiKey)).toBe(1_300);
      expect(await saldoOf(t.app, b.apiKey)).toBe(5_300);
      const rows = await t.dataSource.query("SELECT user_id, keterangan, saldo_akhir FROM mutasi WHERE keterangan IN ('a1', 'a2', 'b1') ORDER BY id");
      expect(rows.map((r: Record<string, unknown>) => [Number(r.user_id), r.keterangan, Number(r.saldo_akhir)])).toEqual([
        [idB, 'b1', 5_300],
        [idA, 'a1', 1_100],
        [idA, 'a2', 1_300],
      ]);
      await expectLedgerMatchesSaldo(t.dataSource);
    });

    it('applyCredits to a user who does not exist throws and the transaction writes nothing', async () => {
      const a = await registerUser(t.app, { saldo: 1_000 });
      const idA = await userId(a.email);
      const before = await countRows(t.dataSource);
      const ledger = t.app.get(LedgerService);
      await expect(
        t.app.get(TransactionRunner).run((manager) =>
          ledger.applyCredits(manager, [
            { userId: idA, jumlah: 100, jenis: 'refund', transaksiId: null, keterangan: 'ok' },
            { userId: 987_654, jumlah: 100, jenis: 'refund', transaksiId: null, keterangan: 'nobody' },
          ]),
        ),
      ).rejects.toBeInstanceOf(LedgerTargetMissingError);
      expect(await countRows(t.dataSource)).toEqual(before);
      expect(await saldoOf(t.app, a.apiKey)).toBe(1_000);
    });

    it('applyDebits takes debits in order while the saldo covers each, a cheaper one after a refused one included', async () => {
      const a = await registerUser(t.app, { saldo: 30_000 });
      const idA = await userId(a.email);
      const ledger = t.app.get(LedgerService);
      const saldos = await t.app.get(TransactionRunner).run((manager) =>
        ledger.applyDebits(manager, {
          userId: idA,
          jenis: 'debit',
          entries: [-12_000, -22_000, -12_000, -12_000].map((jumlah, i) => ({ jumlah, keterangan: `d${i}` })),
          transaksiIds: async (taken) => taken.map(() => null as unknown as number),
        }),
      );
      expect(saldos).toEqual([18_000, null, 6_000, null]);
      expect(await saldoOf(t.app, a.apiKey)).toBe(6_000);
      await expectLedgerMatchesSaldo(t.dataSource);
    });
  },
  { PROCESSOR_ENABLED: 'false' },
);
