import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bigintNumber } from '../database/column-transformers';

/** `deposit`: a confirmed deposit ticket; `koreksi`: an operator's adjustment (either sign). */
export type JenisMutasi = 'saldo_awal' | 'debit' | 'refund' | 'deposit' | 'koreksi';

/** One row per balance change: the ledger. `saldo_akhir` is the balance right after the change. */
@Entity('mutasi')
export class Mutasi {
  @PrimaryColumn({ type: 'bigint', generated: 'increment', transformer: bigintNumber })
  id!: number;

  @Column({ name: 'user_id', type: 'bigint', transformer: bigintNumber })
  userId!: number;

  @Column({ name: 'transaksi_id', type: 'bigint', nullable: true, transformer: bigintNumber })
  transaksiId!: number | null;

  @Column({ type: 'varchar', length: 20 })
  jenis!: JenisMutasi;

  /** Signed: negative for a debit. */
  @Column({ type: 'bigint', transformer: bigintNumber })
  jumlah!: number;

  @Column({ name: 'saldo_akhir', type: 'bigint', transformer: bigintNumber })
  saldoAkhir!: number;

  @Column({ type: 'varchar', length: 255 })
  keterangan!: string;

  @Column({ type: 'datetime', precision: 3 })
  waktu!: Date;
}
