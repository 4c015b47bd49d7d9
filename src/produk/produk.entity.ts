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

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt!: Date;
}
