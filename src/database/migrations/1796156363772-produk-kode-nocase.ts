import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * produk.kode is unique without regard to case on both engines. MariaDB's collation
 * (utf8mb4_unicode_ci) already compared it so; SQLite compared bytes, so PULSA20 and pulsa20
 * could name two products there while MariaDB refused the second. Only SQLite's index changes.
 */
export class ProdukKodeNocase1796156363772 implements MigrationInterface {
  name = 'ProdukKodeNocase1796156363772';

  async up(queryRunner: QueryRunner): Promise<void> {
    if (queryRunner.connection.options.type !== 'better-sqlite3') return;
    await queryRunner.query('DROP INDEX uq_produk_kode');
    await queryRunner.query('CREATE UNIQUE INDEX uq_produk_kode ON produk (kode COLLATE NOCASE)');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    if (queryRunner.connection.options.type !== 'better-sqlite3') return;
    await queryRunner.query('DROP INDEX uq_produk_kode');
    await queryRunner.query('CREATE UNIQUE INDEX uq_produk_kode ON produk (kode)');
  }
}
