import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bigintNumber } from '../database/column-transformers';

/** One operator write. `sebelum`/`sesudah` are JSON text of the figures the write changed. */
@Entity('admin_audit')
export class AdminAudit {
  @PrimaryColumn({ type: 'bigint', generated: 'increment', transformer: bigintNumber })
  id!: number;

  /** Audit id of the operator key (a prefix of its hash), never the key. */
  @Column({ name: 'admin_id', type: 'varchar', length: 16 })
  adminId!: string;

  @Column({ type: 'varchar', length: 40 })
  aksi!: string;

  /** What was changed, as `<table>:<id>`. */
  @Column({ type: 'varchar', length: 60 })
  objek!: string;

  @Column({ type: 'text', nullable: true })
  sebelum!: string | null;

  @Column({ type: 'text', nullable: true })
  sesudah!: string | null;

  @Column({ type: 'datetime', precision: 3 })
  waktu!: Date;
}
