import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bigintNumber } from '../database/column-transformers';

/**
 * Stored statuses. A pending ticket past `kedaluwarsa` is reported as kedaluwarsa at once and
 * stored so when the next ticket is opened (which frees its transfer amount).
 */
export const DEPOSIT_STATUSES = ['pending', 'sukses', 'ditolak', 'kedaluwarsa'] as const;
export type DepositStatus = (typeof DEPOSIT_STATUSES)[number];

@Entity('deposit')
export class Deposit {
  @PrimaryColumn({ type: 'bigint', generated: 'increment', transformer: bigintNumber })
  id!: number;

  @Column({ name: 'user_id', type: 'bigint', transformer: bigintNumber })
  userId!: number;

  /** What the reseller asked to deposit. */
  @Column({ type: 'bigint', transformer: bigintNumber })
  jumlah!: number;

  /** jumlah plus 1-999 unique digits: the amount to transfer, and the amount credited. */
  @Column({ name: 'jumlah_transfer', type: 'bigint', transformer: bigintNumber })
  jumlahTransfer!: number;

  /** jumlah_transfer while pending, NULL after: unique, so open tickets never share an amount. */
  @Column({ name: 'open_transfer', type: 'bigint', nullable: true, transformer: bigintNumber })
  openTransfer!: number | null;

  @Column({ type: 'varchar', length: 20 })
  bank!: string;

  @Column({ type: 'varchar', length: 40 })
  rekening!: string;

  @Column({ name: 'atas_nama', type: 'varchar', length: 100 })
  atasNama!: string;

  /** Transfer note the reseller is asked to write. */
  @Column({ type: 'varchar', length: 32 })
  berita!: string;

  @Column({ type: 'varchar', length: 12 })
  status!: DepositStatus;

  /** Audit id of the operator key that confirmed or rejected the ticket. */
  @Column({ name: 'diproses_oleh', type: 'varchar', length: 16, nullable: true })
  diprosesOleh!: string | null;

  @Column({ type: 'datetime', precision: 3 })
  kedaluwarsa!: Date;

  @Column({ type: 'datetime', precision: 3 })
  waktu!: Date;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt!: Date;
}
