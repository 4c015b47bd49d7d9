import type { PpobResult } from '../ppob.provider';
import type { DigiflazzData } from './digiflazz.client';
import { rcMeaning } from './digiflazz-rc';

/**
 * What one /transaction answer (or callback) says about a ref_id, in the port's terms:
 * - `final`: delivered or definitely failed (a refund is allowed only for this gagal);
 * - `rejected`: no transaction was created and none will be (a definite failure too);
 * - `in-progress`: the supplier has it (Pending), or rc 49 says the ref_id is taken;
 * - `unknown`: anything that proves nothing (try-later codes, unknown rc, status and rc that
 *   disagree, another ref_id, a 5xx).
 */
export type TransactionVerdict =
  | { kind: 'final'; result: PpobResult }
  | { kind: 'rejected'; result: PpobResult & { status: 'gagal' } }
  | { kind: 'in-progress'; rc: string }
  | { kind: 'unknown'; reason: string };

export function readTransaction(data: DigiflazzData | null, refId: string, httpStatus = 200): TransactionVerdict {
  if (httpStatus >= 500) return { kind: 'unknown', reason: `supplier answered HTTP ${httpStatus}` };
  if (!data) return { kind: 'unknown', reason: `unparsable supplier answer (HTTP ${httpStatus})` };
  if (data.ref_id !== undefined && String(data.ref_id) !== refId) return { kind: 'unknown', reason: `answer for another ref_id (${String(data.ref_id)})` };
  const rc = typeof data.rc === 'string' ? data.rc : '';
  const status = data.status;
  const pesan = typeof data.message === 'string' ? data.message : null;
  const upstream = { rc, pesan };
  const hasil = `rc ${rc}: ${pesan ?? ''}`;
  switch (rcMeaning(rc)) {
    case 'sukses':
      if (status !== 'Sukses') break;
      return { kind: 'final', result: { status: 'sukses', hasil, sn: typeof data.sn === 'string' && data.sn !== '' ? data.sn : null, upstream } };
    case 'gagal':
      if (status !== 'Gagal') break;
      return { kind: 'final', result: { status: 'gagal', hasil, upstream } };
    case 'ditolak':
      // Some rejections come without a status (a 400 for a bad sign); never with another one.
      if (status !== undefined && status !== 'Gagal') break;
      return { kind: 'rejected', result: { status: 'gagal', hasil, upstream } };
    case 'pending':
      if (status !== 'Pending') break;
      return { kind: 'in-progress', rc };
    case 'ref-ganda':
      return { kind: 'in-progress', rc };
    case 'coba-lagi':
      return { kind: 'unknown', reason: `supplier says try later (${hasil})` };
    case 'tidak-dikenal':
      return { kind: 'unknown', reason: `unknown supplier rc (${hasil})` };
  }
  return { kind: 'unknown', reason: `supplier status ${String(status)} does not match rc ${rc}` };
}
