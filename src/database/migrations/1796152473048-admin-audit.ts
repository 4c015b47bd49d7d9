import { MigrationInterface, QueryRunner, Table } from 'typeorm';

/** One row per operator write: which key, what, on what, the figures before and after (JSON text). */
export class AdminAudit1796152473048 implements MigrationInterface {
  name = 'AdminAudit1796152473048';

  async up(queryRunner: QueryRunner): Promise<void> {
    const sqlite = queryRunner.connection.options.type === 'better-sqlite3';
    await queryRunner.createTable(
      new Table({
        name: 'admin_audit',
        columns: [
          { name: 'id', type: sqlite ? 'integer' : 'bigint', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          { name: 'admin_id', type: 'varchar', length: '16' },
          { name: 'aksi', type: 'varchar', length: '40' },
          { name: 'objek', type: 'varchar', length: '60' },
          { name: 'sebelum', type: 'text', isNullable: true },
          { name: 'sesudah', type: 'text', isNullable: true },
          { name: 'waktu', type: 'datetime', precision: 3 },
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('admin_audit');
  }
}
