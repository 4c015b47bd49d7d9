import { MigrationInterface, QueryRunner } from 'typeorm';

/** The seed products' codes and categories (matched by name; rows an operator renamed keep NULL). */
const SEED = [
  { nama: 'Pulsa 10k', kode: 'PULSA10', kategori: 'pulsa' },
  { nama: 'Pulsa 20k', kode: 'PULSA20', kategori: 'pulsa' },
  { nama: 'Token Listrik 50k', kode: 'PLN50', kategori: 'pln' },
];

/**
 * produk.kode (the operator's product code, unique when set) and produk.kategori. kode stays
 * nullable so the column can be added to a table that already has rows; both engines allow many
 * NULLs under a unique index.
 */
export class ProdukKodeKategori1796152473045 implements MigrationInterface {
  name = 'ProdukKodeKategori1796152473045';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE produk ADD COLUMN kode varchar(50) NULL');
    await queryRunner.query("ALTER TABLE produk ADD COLUMN kategori varchar(50) NOT NULL DEFAULT 'umum'");
    await queryRunner.query('CREATE UNIQUE INDEX uq_produk_kode ON produk (kode)');
    for (const p of SEED) {
      await queryRunner.query('UPDATE produk SET kode = ?, kategori = ? WHERE nama = ? AND kode IS NULL', [p.kode, p.kategori, p.nama]);
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(queryRunner.connection.options.type === 'better-sqlite3' ? 'DROP INDEX uq_produk_kode' : 'DROP INDEX uq_produk_kode ON produk');
    await queryRunner.query('ALTER TABLE produk DROP COLUMN kategori');
    await queryRunner.query('ALTER TABLE produk DROP COLUMN kode');
  }
}
