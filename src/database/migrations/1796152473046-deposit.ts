import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';

/**
 * Deposit tickets. `open_transfer` holds jumlah_transfer while the ticket is pending and NULL
 * afterwards: its unique index is what keeps two open tickets from sharing a transfer amount
 * (the operator matches a bank mutation to a ticket by that amount), also under concurrent
 * requests on several instances.
 */
export class Deposit1796152473046 implements MigrationInterface {
  name = 'Deposit1796152473046';

  async up(queryRunner: QueryRunner): Promise<void> {
    const sqlite = queryRunner.connection.options.type === 'better-sqlite3';
    const time = (name: string, isNullable = false) => ({ name, type: 'datetime', precision: 3, isNullable });
    await queryRunner.createTable(
      new Table({
        name: 'deposit',
        columns: [
          { name: 'id', type: sqlite ? 'integer' : 'bigint', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          { name: 'user_id', type: 'bigint' },
          { name: 'jumlah', type: 'bigint' },
          { name: 'jumlah_transfer', type: 'bigint' },
          { name: 'open_transfer', type: 'bigint', isNullable: true },
          { name: 'bank', type: 'varchar', length: '20' },
          { name: 'rekening', type: 'varchar', length: '40' },
          { name: 'atas_nama', type: 'varchar', length: '100' },
          { name: 'berita', type: 'varchar', length: '32' },
          { name: 'status', type: 'varchar', length: '12' },
          { name: 'diproses_oleh', type: 'varchar', length: '16', isNullable: true },
          time('kedaluwarsa'),
          time('waktu'),
          time('updated_at'),
        ],
        indices: [
          new TableIndex({ name: 'uq_deposit_open_transfer', columnNames: ['open_transfer'], isUnique: true }),
          // GET /deposit (newest first per reseller) and the open-ticket count per reseller.
          new TableIndex({ name: 'ix_deposit_user_status_id', columnNames: ['user_id', 'status', 'id'] }),
          new TableIndex({ name: 'ix_deposit_user_id', columnNames: ['user_id', 'id'] }),
          // GET /admin/deposit?status=, and the sweep of expired pending tickets.
          new TableIndex({ name: 'ix_deposit_status_id', columnNames: ['status', 'id'] }),
        ],
        foreignKeys: [{ columnNames: ['user_id'], referencedTableName: 'users', referencedColumnNames: ['id'] }],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('deposit');
  }
}
