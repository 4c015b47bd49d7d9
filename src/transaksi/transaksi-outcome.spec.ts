import { AttemptReport, decideOutcome, HASIL } from './transaksi-outcome';

/** The money rules of the processor, as a table: report x claim number -> outcome. M = 3. */
describe('decideOutcome', () => {
  const policy = { maxAttempts: 3, leaseMs: 10_000 };
  const sukses: AttemptReport = { kind: 'result', result: { status: 'sukses', hasil: 'Sukses. SN: 42 (upstream text)', sn: '42' } };
  const gagal: AttemptReport = { kind: 'result', result: { status: 'gagal', hasil: 'ERR 57: table supplier_x locked' } };
  const unknown: AttemptReport = { kind: 'unknown', reason: 'ECONNRESET 10.0.0.7' };

  it('settles a definite answer on any claim: sukses with the serial number, gagal with a refund and a fixed text', () => {
    for (const attempt of [1, 3, 4, 6]) {
      expect(decideOutcome(sukses, attempt, policy)).toEqual({ type: 'sukses', hasil: 'Sukses. SN: 42', sn: '42' });
      expect(decideOutcome(gagal, attempt, policy)).toEqual({ type: 'gagal-refund', hasil: HASIL.gagalProvider });
    }
  });

  it('refunds when the upstream says it never received the purchase', () => {
    expect(decideOutcome({ kind: 'not-executed' }, 4, policy)).toEqual({ type: 'gagal-refund', hasil: HASIL.gagalTidakDiproses });
  });

  it('never refunds an unknown outcome: retries with backoff, then asks, then hands it to an operator', () => {
    expect(decideOutcome(unknown, 1, policy)).toEqual({ type: 'retry-later', inMs: 500, hasil: HASIL.retry });
    expect(decideOutcome(unknown, 3, policy)).toEqual({ type: 'retry-later', inMs: 2_000, hasil: HASIL.retry });
    expect(decideOutcome(unknown, 5, policy)).toEqual({ type: 'retry-later', inMs: 10_000, hasil: HASIL.retry });
    expect(decideOutcome(unknown, 6, policy)).toEqual({ type: 'needs-operator', hasil: HASIL.operator });
  });

  it('waits for an upstream that is still working on it, then hands it to an operator', () => {
    expect(decideOutcome({ kind: 'in-progress' }, 2, policy)).toEqual({ type: 'wait-upstream', inMs: 10_000, hasil: HASIL.waitUpstream });
    expect(decideOutcome({ kind: 'in-progress' }, 6, policy)).toEqual({ type: 'needs-operator', hasil: HASIL.operator });
  });

  it('never shows customers the upstream text or an error detail', () => {
    for (const report of [sukses, gagal, unknown, { kind: 'in-progress' } as AttemptReport]) {
      for (const attempt of [1, 4, 6]) expect(decideOutcome(report, attempt, policy).hasil).not.toMatch(/upstream text|ERR 57|ECONNRESET|10\.0\.0\.7/);
    }
  });
});
