import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { bigintNumber } from '../database/column-transformers';

@Entity('produk')
export class Produk {
  @PrimaryGeneratedColumn({ type: 'int' })
  id!: number;

  @Column({ type: 'varchar', length: 100 })
  nama!: string;

  /** The operator's product code (unique when set). */
  @Column({ type: 'varchar', length: 50, nullable: true })
  kode!: string | null;

  @Column({ type: 'varchar', length: 50, default: 'umum' })
  kategori!: string;

  /** Price charged to the reseller, in rupiah. */
  @Column({ type: 'bigint', transformer: bigintNumber })
  harga!: number;

  /** Face value delivered, in rupiah. */
  @Column({ type: 'bigint', transformer: bigintNumber })
  nominal!: number;

  @Column({ type: 'varchar', length: 255, default: '' })
  deskripsi!: string;

  @Column({ type: 'boolean', default: true })
  aktif!: boolean;

  /** The supplier's price (the price-list sync), sent as max_price; null until synced. */
  @Column({ name: 'harga_modal', type: 'bigint', nullable: true, transformer: bigintNumber })
  hargaModal!: number | null;

  @Column({ type: 'varchar', length: 50, default: '' })
  brand!: string;

  /** The operator set harga by hand: the sync no longer derives it from harga_modal. */
  @Column({ name: 'harga_manual', type: 'boolean', default: false })
  hargaManual!: boolean;

  /** Both supplier statuses on and stock left, as of the last sync. */
  @Column({ name: 'tersedia_supplier', type: 'boolean', default: true })
  tersediaSupplier!: boolean;

  /** The supplier's daily cut-off window, HH:MM Asia/Jakarta; no purchases inside it. */
  @Column({ name: 'cut_off_mulai', type: 'varchar', length: 5, nullable: true })
  cutOffMulai!: string | null;

  @Column({ name: 'cut_off_selesai', type: 'varchar', length: 5, nullable: true })
  cutOffSelesai!: string | null;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt!: Date;
}
