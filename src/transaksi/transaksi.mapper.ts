import { dbTime, dbTimeOrNull } from '../database/raw-sql';
import { TransaksiResponseDto } from './transaksi.dto';
import { Transaksi, TransaksiStatus } from './transaksi.entity';

export function toTransaksiResponse(row: Transaksi): TransaksiResponseDto {
  return {
    id: row.id,
    ref_id: row.refId,
    produk_id: row.produkId,
    nomor_tujuan: row.nomorTujuan,
    nominal: row.nominal,
    harga: row.harga,
    status: row.status,
    waktu: row.waktu.toISOString(),
    updated_at: row.updatedAt.toISOString(),
    hasil_eksekusi: row.hasilEksekusi,
    // Only a delivered purchase has a serial number the customer may use.
    sn: row.status === 'sukses' ? row.sn : null,
  };
}

/** The columns transaksiFromRow() reads, for raw SELECTs (and RETURNING) of the hot paths. */
export const TRANSAKSI_COLUMNS =
  'id, user_id, produk_id, ref_id, nomor_tujuan, nominal, harga, status, hasil_eksekusi, attempts, locked_by, locked_until, perlu_operator, sn, upstream_rc, upstream_pesan, callback_url, waktu, updated_at';

export interface TransaksiRow {
  id: number | string;
  user_id: number | string;
  produk_id: number | string;
  ref_id: string;
  nomor_tujuan: string;
  nominal: number | string;
  harga: number | string;
  status: TransaksiStatus;
  hasil_eksekusi: string | null;
  attempts: number | string;
  locked_by: string | null;
  locked_until: Date | string | null;
  perlu_operator: number | string | boolean;
  sn?: string | null;
  upstream_rc?: string | null;
  upstream_pesan?: string | null;
  callback_url: string | null;
  waktu: Date | string;
  updated_at: Date | string;
}

/** A raw row as the entity (BIGINTs come back as strings from mysql2, DATETIMEs as text from SQLite). */
export function transaksiFromRow(row: TransaksiRow): Transaksi {
  return Object.assign(new Transaksi(), {
    id: Number(row.id),
    userId: Number(row.user_id),
    produkId: Number(row.produk_id),
    refId: row.ref_id,
    nomorTujuan: row.nomor_tujuan,
    nominal: Number(row.nominal),
    harga: Number(row.harga),
    status: row.status,
    hasilEksekusi: row.hasil_eksekusi,
    attempts: Number(row.attempts),
    lockedBy: row.locked_by,
    lockedUntil: dbTimeOrNull(row.locked_until),
    perluOperator: Number(row.perlu_operator) === 1 || row.perlu_operator === true,
    sn: row.sn ?? null,
    upstreamRc: row.upstream_rc ?? null,
    upstreamPesan: row.upstream_pesan ?? null,
    callbackUrl: row.callback_url ?? null,
    waktu: dbTime(row.waktu),
    updatedAt: dbTime(row.updated_at),
  });
}
