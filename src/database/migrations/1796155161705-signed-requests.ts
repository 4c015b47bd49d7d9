import { MigrationInterface, QueryRunner, Table, TableColumn, TableIndex } from 'typeorm';

/**
 * Issue 12, signed requests:
 * - users.private_key_enc: the private key encrypted (SecretBox), because it is now the HMAC key
 *   of x-signature and the server must use it. NULL for users from before this change: their
 *   private key was only hashed, so it cannot sign until their next /generate-key.
 * - users.wajib_signature / ip_allowlist: PUT /keamanan.
 * - request_nonce: a nonce is accepted once per user (the primary key decides, across
 *   instances); rows are purged after the timestamp window.
 */
export class SignedRequests1796155161705 implements MigrationInterface {
  name = 'SignedRequests1796155161705';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumns('users', [
      new TableColumn({ name: 'private_key_enc', type: 'varchar', length: '255', isNullable: true }),
      new TableColumn({ name: 'wajib_signature', type: 'boolean', isNullable: false, default: false }),
      new TableColumn({ name: 'ip_allowlist', type: 'varchar', length: '4000', isNullable: true }),
    ]);
    await queryRunner.createTable(
      new Table({
        name: 'request_nonce',
        columns: [
          { name: 'user_id', type: 'bigint', isPrimary: true },
          { name: 'nonce', type: 'varchar', length: '64', isPrimary: true },
          { name: 'expires_at', type: 'datetime', precision: 3 },
        ],
        indices: [new TableIndex({ name: 'ix_request_nonce_expires', columnNames: ['expires_at'] })],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('request_nonce');
    await queryRunner.dropColumn('users', 'ip_allowlist');
    await queryRunner.dropColumn('users', 'wajib_signature');
    await queryRunner.dropColumn('users', 'private_key_enc');
  }
}
