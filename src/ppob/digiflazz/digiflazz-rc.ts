/**
 * What a Digiflazz rc means for our money, from the supplier's buyer documentation. The one rule:
 * only an answer that says the purchase definitely did not (and will not) deliver may refund.
 */
export type RcMeaning =
  /** 00: delivered. */
  | 'sukses'
  /** 03, 99: the supplier has it and has not finished. */
  | 'pending'
  /** The supplier created the transaction and it failed (01 is the supplier's own timeout verdict, a final Gagal). */
  | 'gagal'
  /** No transaction was created and none will be: a definite failure (e.g. 44, deposit too low). */
  | 'ditolak'
  /** No transaction was created, ask again later (83 throttled, 85, 86 limits). */
  | 'coba-lagi'
  /** 49: the ref_id is already used; the transaction it names may be ours, so nothing is decided. */
  | 'ref-ganda'
  /** Not a code we know: treated like no answer. */
  | 'tidak-dikenal';

const TRY_LATER = new Set(['83', '85', '86']);

export function rcMeaning(rc: unknown): RcMeaning {
  if (typeof rc !== 'string' || !/^\d{2}$/.test(rc)) return 'tidak-dikenal';
  const n = Number(rc);
  if (n === 0) return 'sukses';
  if (n === 3 || n === 99) return 'pending';
  if (n === 49) return 'ref-ganda';
  if (TRY_LATER.has(rc)) return 'coba-lagi';
  if (n === 1 || n === 2 || inRange(n, 50, 55) || inRange(n, 57, 60) || inRange(n, 70, 74) || n === 84) return 'gagal';
  if (inRange(n, 40, 48) || inRange(n, 61, 69) || inRange(n, 80, 82) || n === 87 || n === 88) return 'ditolak';
  return 'tidak-dikenal';
}

function inRange(n: number, from: number, to: number): boolean {
  return n >= from && n <= to;
}
