import { MigrationInterface, QueryRunner } from 'typeorm';
import { sqlDateTime } from '../sql-time';

/** The original service's three products. Prices are integer rupiah. */
const SEED = [
  { nama: 'Pulsa 10k', harga: 12_000, nominal: 10_000, deskripsi: 'Pulsa reguler Rp10.000 semua operator' },
  { nama: 'Pulsa 20k', harga: 22_000, nominal: 20_000, deskripsi: 'Pulsa reguler Rp20.000 semua operator' },
  { nama: 'Token Listrik 50k', harga: 51_000, nominal: 50_000, deskripsi: 'Token PLN prabayar Rp50.000' },
];

export class SeedProduk1795762800001 implements MigrationInterface {
  name = 'SeedProduk1795762800001';

  // Plain SQL with column names: migrations must not depend on today's entity classes.
  async up(queryRunner: QueryRunner): Promise<void> {
    const now = sqlDateTime(new Date());
    for (const p of SEED) {
      await queryRunner.query(
        'INSERT INTO produk (nama, harga, nominal, deskripsi, aktif, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
        [p.nama, p.harga, p.nominal, p.deskripsi, true, now, now],
      );
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const p of SEED) {
      await queryRunner.query('DELETE FROM produk WHERE nama = ?', [p.nama]);
    }
  }
}
