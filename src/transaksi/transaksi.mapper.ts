import { TransaksiResponseDto } from './transaksi.dto';
import { Transaksi } from './transaksi.entity';

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
  };
}
