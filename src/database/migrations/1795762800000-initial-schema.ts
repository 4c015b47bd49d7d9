import { MigrationInterface, QueryRunner, Table, TableColumnOptions, TableIndex } from 'typeorm';

/**
 * Dialect-neutral through TypeORM's Table API. Two dialect differences: the id type (SQLite
 * autoincrements only an INTEGER PRIMARY KEY, MySQL/MariaDB get BIGINT) and ref_id's collation.
 */
function isSqlite(queryRunner: QueryRunner): boolean {
  return queryRunner.connection.options.type === 'better-sqlite3';
}

function id(queryRunner: QueryRunner): TableColumnOptions {
  return {
    name: 'id',
    type: isSqlite(queryRunner) ? 'integer' : 'bigint',
    isPrimary: true,
    isGenerated: true,
    generationStrategy: 'increment',
  };
}

function ref(name: string, nullable = false): TableColumnOptions {
  return { name, type: 'bigint', isNullable: nullable };
}

function money(name: string): TableColumnOptions {
  return { name, type: 'bigint' };
}

function time(name: string, nullable = false): TableColumnOptions {
  return { name, type: 'datetime', precision: 3, isNullable: nullable };
}

export class InitialSchema1795762800000 implements MigrationInterface {
  name = 'InitialSchema1795762800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'users',
        columns: [
          id(queryRunner),
          { name: 'nama', type: 'varchar', length: '100' },
          { name: 'email', type: 'varchar', length: '191' },
          { name: 'hp', type: 'varchar', length: '20', isNullable: true },
          { ...money('saldo'), default: 0 },
          { name: 'api_key_hash', type: 'varchar', length: '64' },
          { name: 'private_key_hash', type: 'varchar', length: '64' },
          time('created_at'),
          time('updated_at'),
        ],
        indices: [
          new TableIndex({ name: 'uq_users_email', columnNames: ['email'], isUnique: true }),
          new TableIndex({ name: 'uq_users_api_key_hash', columnNames: ['api_key_hash'], isUnique: true }),
        ],
      }),
    );

    await queryRunner.createTable(
      new Table({
        name: 'produk',
        columns: [
          { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          { name: 'nama', type: 'varchar', length: '100' },
          money('harga'),
          money('nominal'),
          { name: 'deskripsi', type: 'varchar', length: '255', default: "''" },
          { name: 'aktif', type: 'boolean', default: true },
          time('created_at'),
          time('updated_at'),
        ],
      }),
    );

    await queryRunner.createTable(
      new Table({
        name: 'transaksi',
        columns: [
          id(queryRunner),
          ref('user_id'),
          { name: 'produk_id', type: 'integer' },
          // Client references are case-sensitive ('INV-1' and 'inv-1' are two purchases); MySQL's
          // default collations compare without case, SQLite's BINARY default already is exact.
          { name: 'ref_id', type: 'varchar', length: '64', ...(isSqlite(queryRunner) ? {} : { collation: 'utf8mb4_bin' }) },
          { name: 'nomor_tujuan', type: 'varchar', length: '20' },
          money('nominal'),
          money('harga'),
          { name: 'status', type: 'varchar', length: '10' },
          { name: 'hasil_eksekusi', type: 'varchar', length: '500', isNullable: true },
          { name: 'attempts', type: 'integer', default: 0 },
          { name: 'locked_by', type: 'varchar', length: '64', isNullable: true },
          time('locked_until', true),
          time('waktu'),
          time('updated_at'),
        ],
        indices: [
          // Idempotency: one transaksi per (user, ref_id), also under concurrent retries.
          new TableIndex({ name: 'uq_transaksi_user_ref', columnNames: ['user_id', 'ref_id'], isUnique: true }),
          // The claim query: WHERE status = 'pending' ORDER BY id LIMIT n FOR UPDATE SKIP LOCKED.
          // InnoDB locks every index record a locking read scans, so this index must match.
          new TableIndex({ name: 'ix_transaksi_status_id', columnNames: ['status', 'id'] }),
          // Expired leases: WHERE status = 'proses' AND locked_until < now.
          new TableIndex({ name: 'ix_transaksi_status_locked_until', columnNames: ['status', 'locked_until'] }),
          // /riwayat: newest first per user, optionally filtered by status.
          new TableIndex({ name: 'ix_transaksi_user_id', columnNames: ['user_id', 'id'] }),
          new TableIndex({ name: 'ix_transaksi_user_status_id', columnNames: ['user_id', 'status', 'id'] }),
        ],
        foreignKeys: [
          { columnNames: ['user_id'], referencedTableName: 'users', referencedColumnNames: ['id'] },
          { columnNames: ['produk_id'], referencedTableName: 'produk', referencedColumnNames: ['id'] },
        ],
      }),
    );

    await queryRunner.createTable(
      new Table({
        name: 'mutasi',
        columns: [
          id(queryRunner),
          ref('user_id'),
          ref('transaksi_id', true),
          { name: 'jenis', type: 'varchar', length: '20' },
          money('jumlah'),
          money('saldo_akhir'),
          { name: 'keterangan', type: 'varchar', length: '255' },
          time('waktu'),
        ],
        indices: [new TableIndex({ name: 'ix_mutasi_user_id', columnNames: ['user_id', 'id'] })],
        foreignKeys: [{ columnNames: ['user_id'], referencedTableName: 'users', referencedColumnNames: ['id'] }],
      }),
    );

    await queryRunner.createTable(
      new Table({
        name: 'ppob_sim_eksekusi',
        columns: [
          id(queryRunner),
          ref('transaksi_id'),
          { name: 'instance_id', type: 'varchar', length: '64' },
          { name: 'status', type: 'varchar', length: '10' },
          { name: 'hasil', type: 'varchar', length: '500' },
          time('waktu'),
        ],
        // Deliberately not unique: a double execution must show up as two rows, not be hidden.
        indices: [new TableIndex({ name: 'ix_ppob_sim_eksekusi_transaksi', columnNames: ['transaksi_id'] })],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['ppob_sim_eksekusi', 'mutasi', 'transaksi', 'produk', 'users']) {
      await queryRunner.dropTable(table);
    }
  }
}
