import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * users.aktif: an operator can suspend a reseller (false refuses its key with 403). Plain ALTER
 * on both engines: TypeORM's addColumn on SQLite rebuilds the table, and users is referenced by
 * transaksi and mutasi.
 */
export class UsersAktif1796152473044 implements MigrationInterface {
  name = 'UsersAktif1796152473044';

  async up(queryRunner: QueryRunner): Promise<void> {
    const type = queryRunner.connection.options.type === 'better-sqlite3' ? 'boolean' : 'tinyint';
    await queryRunner.query(`ALTER TABLE users ADD COLUMN aktif ${type} NOT NULL DEFAULT 1`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE users DROP COLUMN aktif');
  }
}
