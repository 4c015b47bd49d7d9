import { MigrationInterface, QueryRunner, TableColumn, TableIndex } from 'typeorm';

/**
 * Issue 8, the processing core:
 * - transaksi.perlu_operator: a purchase the processor cannot settle (attempts exhausted and the
 *   upstream cannot say whether it ran) stays `proses` with this set and no lease; the processor
 *   never claims it again, an operator decides. Indexed for the queue gauge and operator lists.
 * - ppob_sim_eksekusi.mulai: when the simulated upstream received the call. A row whose status
 *   is still `proses` is a call in flight at the upstream; the two times let tests prove that no
 *   two calls for one purchase ever overlapped.
 */
export class ProcessingCore1796152737363 implements MigrationInterface {
  name = 'ProcessingCore1796152737363';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn('transaksi', new TableColumn({ name: 'perlu_operator', type: 'boolean', isNullable: false, default: false }));
    await queryRunner.createIndex('transaksi', new TableIndex({ name: 'ix_transaksi_perlu_operator', columnNames: ['perlu_operator', 'id'] }));
    await queryRunner.addColumn('ppob_sim_eksekusi', new TableColumn({ name: 'mulai', type: 'datetime', precision: 3, isNullable: true }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('ppob_sim_eksekusi', 'mulai');
    await queryRunner.dropIndex('transaksi', 'ix_transaksi_perlu_operator');
    await queryRunner.dropColumn('transaksi', 'perlu_operator');
  }
}
