import { readTransaction } from './digiflazz-answer';
import { rcMeaning } from './digiflazz-rc';

const codes = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => String(from + i).padStart(2, '0'));

describe('Digiflazz rc', () => {
  it('maps every code the buyer documentation lists', () => {
    expect(rcMeaning('00')).toBe('sukses');
    for (const rc of ['03', '99']) expect(rcMeaning(rc)).toBe('pending');
    for (const rc of ['01', '02', ...codes(50, 55), ...codes(57, 60), ...codes(70, 74), '84']) expect([rc, rcMeaning(rc)]).toEqual([rc, 'gagal']);
    for (const rc of [...codes(40, 48), ...codes(61, 69), ...codes(80, 82), '87', '88']) expect([rc, rcMeaning(rc)]).toEqual([rc, 'ditolak']);
    for (const rc of ['83', '85', '86']) expect([rc, rcMeaning(rc)]).toEqual([rc, 'coba-lagi']);
    expect(rcMeaning('49')).toBe('ref-ganda');
    for (const rc of ['56', '75', '98', '', '0', 3, null, undefined]) expect(rcMeaning(rc)).toBe('tidak-dikenal');
  });
});

describe('readTransaction: only a definite failure may refund', () => {
  const answer = (status: string, rc: string, extra: Record<string, unknown> = {}) => ({ ref_id: '17', status, rc, message: 'm', sn: '', ...extra });

  it('reads Sukses with its serial number and Gagal as final', () => {
    expect(readTransaction(answer('Sukses', '00', { sn: 'SN1' }), '17')).toEqual({
      kind: 'final',
      result: { status: 'sukses', hasil: 'rc 00: m', sn: 'SN1', upstream: { rc: '00', pesan: 'm' } },
    });
    expect(readTransaction(answer('Gagal', '02'), '17')).toMatchObject({ kind: 'final', result: { status: 'gagal' } });
  });

  it('reads a no-transaction rejection as rejected (nothing exists upstream)', () => {
    expect(readTransaction(answer('Gagal', '44'), '17', 400)).toMatchObject({ kind: 'rejected', result: { status: 'gagal', upstream: { rc: '44' } } });
  });

  it('leaves Pending, rc 49, try-later codes, 5xx, unparsable bodies, unknown codes and contradictions undecided', () => {
    expect(readTransaction(answer('Pending', '03'), '17').kind).toBe('in-progress');
    expect(readTransaction(answer('Gagal', '49'), '17', 400).kind).toBe('in-progress');
    expect(readTransaction(answer('Gagal', '83'), '17', 400).kind).toBe('unknown');
    expect(readTransaction(answer('Gagal', '02'), '17', 502).kind).toBe('unknown');
    expect(readTransaction(null, '17').kind).toBe('unknown');
    expect(readTransaction(answer('Gagal', '56'), '17').kind).toBe('unknown');
    expect(readTransaction(answer('Sukses', '02'), '17').kind).toBe('unknown');
    expect(readTransaction(answer('Gagal', '00'), '17').kind).toBe('unknown');
    expect(readTransaction(answer('Pending', '44'), '17').kind).toBe('unknown');
    expect(readTransaction(answer('Gagal', '02', { ref_id: '18' }), '17').kind).toBe('unknown');
  });
});
