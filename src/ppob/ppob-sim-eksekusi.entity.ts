import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bigintNumber } from '../database/column-transformers';

/**
 * The simulated upstream's own record of what it executed. A real provider keeps this on its
 * side; the simulation keeps it in the same database so tests can prove that no transaksi was
 * ever executed twice, across instances and crashes.
 */
@Entity('ppob_sim_eksekusi')
export class PpobSimEksekusi {
  @PrimaryColumn({ type: 'bigint', generated: 'increment', transformer: bigintNumber })
  id!: number;

  @Column({ name: 'transaksi_id', type: 'bigint', transformer: bigintNumber })
  transaksiId!: number;

  @Column({ name: 'instance_id', type: 'varchar', length: 64 })
  instanceId!: string;

  /** `proses` while the call is still running at the (simulated) upstream. */
  @Column({ type: 'varchar', length: 10 })
  status!: 'proses' | 'sukses' | 'gagal';

  @Column({ type: 'varchar', length: 500 })
  hasil!: string;

  /** When the call was received (null for a call executed without delay, recorded at completion only). */
  @Column({ type: 'datetime', precision: 3, nullable: true })
  mulai!: Date | null;

  @Column({ type: 'datetime', precision: 3 })
  waktu!: Date;
}
