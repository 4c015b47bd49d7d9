import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';

/** Issue 12: a per-reseller rate limit set by the operator; NULL = RATE_LIMIT_PER_MINUTE, 0 = unlimited. */
export class RateLimitOverride1796155589448 implements MigrationInterface {
  name = 'RateLimitOverride1796155589448';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn('users', new TableColumn({ name: 'rate_limit_per_minute', type: 'int', isNullable: true }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('users', 'rate_limit_per_minute');
  }
}
