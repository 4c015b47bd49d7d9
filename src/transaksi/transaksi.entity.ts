import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bigintNumber } from '../database/column-transformers';

export const TRANSAKSI_STATUSES = ['pending', 'proses', 'sukses', 'gagal'] as const;
export type TransaksiStatus = (typeof TRANSAKSI_STATUSES)[number];

@Entity('transaksi')
export class Transaksi {
  @PrimaryColumn({ type: 'bigint', generated: 'increment', transformer: bigintNumber })
  id!: number;

  @Column({ name: 'user_id', type: 'bigint', transformer: bigintNumber })
  userId!: number;

  @Column({ name: 'produk_id', type: 'int' })
  produkId!: number;

  /** Client reference, unique per user; generated when the client sends none. */
  @Column({ name: 'ref_id', type: 'varchar', length: 64 })
  refId!: string;

  @Column({ name: 'nomor_tujuan', type: 'varchar', length: 20 })
  nomorTujuan!: string;

  @Column({ type: 'bigint', transformer: bigintNumber })
  nominal!: number;

  @Column({ type: 'bigint', transformer: bigintNumber })
  harga!: number;

  /** The product's supplier price at /beli (sent as max_price); null for purchases made before it was kept. */
  @Column({ name: 'harga_modal', type: 'bigint', nullable: true, transformer: bigintNumber })
  hargaModal!: number | null;

  /** The product's supplier code at /beli (sent as buyer_sku_code); null for purchases made before it was kept. */
  @Column({ type: 'varchar', length: 50, nullable: true })
  kode!: string | null;

  @Column({ type: 'varchar', length: 10 })
  status!: TransaksiStatus;

  @Column({ name: 'hasil_eksekusi', type: 'varchar', length: 500, nullable: true })
  hasilEksekusi!: string | null;

  /** How many times a processor has claimed this row. */
  @Column({ type: 'int', default: 0 })
  attempts!: number;

  @Column({ name: 'locked_by', type: 'varchar', length: 64, nullable: true })
  lockedBy!: string | null;

  @Column({ name: 'locked_until', type: 'datetime', precision: 3, nullable: true })
  lockedUntil!: Date | null;

  /** The processor cannot settle it (outcome unknown after every attempt): an operator decides. */
  @Column({ name: 'perlu_operator', type: 'boolean', default: false })
  perluOperator!: boolean;

  /** The supplier's serial number / token of a delivered purchase. */
  @Column({ type: 'varchar', length: 100, nullable: true })
  sn!: string | null;

  /** The supplier's last rc and message (for the operator; customers see hasil_eksekusi). */
  @Column({ name: 'upstream_rc', type: 'varchar', length: 4, nullable: true })
  upstreamRc!: string | null;

  @Column({ name: 'upstream_pesan', type: 'varchar', length: 255, nullable: true })
  upstreamPesan!: string | null;

  /** /beli's callback_url: overrides the reseller's endpoint for this purchase's event. */
  @Column({ name: 'callback_url', type: 'varchar', length: 2048, nullable: true })
  callbackUrl!: string | null;

  @Column({ type: 'datetime', precision: 3 })
  waktu!: Date;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt!: Date;
}
