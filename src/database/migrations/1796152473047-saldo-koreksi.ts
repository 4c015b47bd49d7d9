import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';

/**
 * Operator adjustments. The unique `ref` makes a repeated adjustment (a retried request, a
 * double click) harmless: the second one finds the first instead of moving money again.
 */
export class SaldoKoreksi1796152473047 implements MigrationInterface {
  name = 'SaldoKoreksi1796152473047';

  async up(queryRunner: QueryRunner): Promise<void> {
    const sqlite = queryRunner.connection.options.type === 'better-sqlite3';
    await queryRunner.createTable(
      new Table({
        name: 'saldo_koreksi',
        columns: [
          { name: 'id', type: sqlite ? 'integer' : 'bigint', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          // References are case-sensitive, as ref_id is (MySQL's default collation is not).
          { name: 'ref', type: 'varchar', length: '64', ...(sqlite ? {} : { collation: 'utf8mb4_bin' }) },
          { name: 'user_id', type: 'bigint' },
          { name: 'jumlah', type: 'bigint' },
          { name: 'saldo_akhir', type: 'bigint' },
          { name: 'keterangan', type: 'varchar', length: '255' },
          { name: 'admin_id', type: 'varchar', length: '16' },
          { name: 'waktu', type: 'datetime', precision: 3 },
        ],
        indices: [new TableIndex({ name: 'uq_saldo_koreksi_ref', columnNames: ['ref'], isUnique: true })],
        foreignKeys: [{ columnNames: ['user_id'], referencedTableName: 'users', referencedColumnNames: ['id'] }],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('saldo_koreksi');
  }
}
