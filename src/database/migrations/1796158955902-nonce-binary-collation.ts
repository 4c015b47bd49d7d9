import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A nonce is its exact characters: `Ab12cd34` and `ab12cd34` are two nonces. MySQL's
 * utf8mb4_unicode_ci made the primary key call the second a replay (401 SIGNATURE_NONCE_REUSED)
 * where SQLite, which compares bytes, accepted it. utf8mb4_bin compares like SQLite. Nothing to
 * do on SQLite.
 */
export class NonceBinaryCollation1796158955902 implements MigrationInterface {
  name = 'NonceBinaryCollation1796158955902';

  async up(queryRunner: QueryRunner): Promise<void> {
    if (queryRunner.connection.options.type !== 'mysql') return;
    await queryRunner.query('ALTER TABLE request_nonce MODIFY nonce VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL');
  }

  // Nonces live minutes; dropping them lets the old collation's key be rebuilt without duplicates.
  async down(queryRunner: QueryRunner): Promise<void> {
    if (queryRunner.connection.options.type !== 'mysql') return;
    await queryRunner.query('DELETE FROM request_nonce');
    await queryRunner.query('ALTER TABLE request_nonce MODIFY nonce VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci NOT NULL');
  }
}
