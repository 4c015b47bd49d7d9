import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * One email rule on every engine: the app stores emails trimmed, NFC-normalised and
 * lower-cased, and the unique index compares those bytes. MySQL's utf8mb4_unicode_ci made
 * `josé@` equal `jose@` (and `straße@` equal `strasse@`) where SQLite, which compares bytes,
 * kept them apart. utf8mb4_bin makes MySQL compare like SQLite. Nothing to do on SQLite.
 *
 * Rows written before this migration were already lower-cased, and the old collation kept
 * accent variants from both existing, so the index rebuild cannot meet a duplicate.
 */
export class EmailBinaryCollation1796152753645 implements MigrationInterface {
  name = 'EmailBinaryCollation1796152753645';

  async up(queryRunner: QueryRunner): Promise<void> {
    if (queryRunner.connection.options.type !== 'mysql') return;
    await queryRunner.query('ALTER TABLE users MODIFY email VARCHAR(191) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL');
  }

  // Fails on a duplicate key if accent variants (josé@ and jose@) were registered meanwhile:
  // the old collation cannot hold both.
  async down(queryRunner: QueryRunner): Promise<void> {
    if (queryRunner.connection.options.type !== 'mysql') return;
    await queryRunner.query('ALTER TABLE users MODIFY email VARCHAR(191) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci NOT NULL');
  }
}
