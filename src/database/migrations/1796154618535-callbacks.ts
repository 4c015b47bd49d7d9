import { MigrationInterface, QueryRunner, Table, TableColumn, TableColumnOptions, TableIndex } from 'typeorm';

function id(queryRunner: QueryRunner): TableColumnOptions {
  const sqlite = queryRunner.connection.options.type === 'better-sqlite3';
  return { name: 'id', type: sqlite ? 'integer' : 'bigint', isPrimary: true, isGenerated: true, generationStrategy: 'increment' };
}

function time(name: string, nullable = false): TableColumnOptions {
  return { name, type: 'datetime', precision: 3, isNullable: nullable };
}

/**
 * Issue 12, signed callbacks (Standard Webhooks):
 * - callback_endpoint: one per reseller; the secret encrypted (SecretBox), and the previous one
 *   with the time it stops signing (rotation: both sign for 24 h).
 * - callback_event: the outbox. A row is written in the same transaction as the final status it
 *   announces and is also the delivery's state (pending -> sending -> sukses | gagal), claimed
 *   by the dispatchers like purchases are. Unique on transaksi_id: one event per purchase.
 * - callback_attempt: every HTTP attempt, with status code, duration and the trimmed body.
 * - transaksi.callback_url: /beli's per-purchase override of the endpoint.
 */
export class Callbacks1796154618535 implements MigrationInterface {
  name = 'Callbacks1796154618535';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'callback_endpoint',
        columns: [
          { name: 'user_id', type: 'bigint', isPrimary: true },
          { name: 'url', type: 'varchar', length: '2048' },
          { name: 'secret_enc', type: 'varchar', length: '255' },
          { name: 'old_secret_enc', type: 'varchar', length: '255', isNullable: true },
          time('old_secret_until', true),
          time('created_at'),
          time('updated_at'),
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'callback_event',
        columns: [
          id(queryRunner),
          { name: 'msg_id', type: 'varchar', length: '40' },
          { name: 'user_id', type: 'bigint' },
          { name: 'transaksi_id', type: 'bigint', isNullable: true },
          { name: 'type', type: 'varchar', length: '40' },
          { name: 'payload', type: 'text' },
          { name: 'url', type: 'varchar', length: '2048' },
          { name: 'status', type: 'varchar', length: '10' },
          { name: 'attempts', type: 'int', default: 0 },
          time('next_at'),
          { name: 'locked_by', type: 'varchar', length: '64', isNullable: true },
          time('locked_until', true),
          { name: 'last_status_code', type: 'int', isNullable: true },
          time('created_at'),
          time('updated_at'),
        ],
        indices: [
          new TableIndex({ name: 'uq_callback_event_msg_id', columnNames: ['msg_id'], isUnique: true }),
          new TableIndex({ name: 'uq_callback_event_transaksi', columnNames: ['transaksi_id'], isUnique: true }),
          // The dispatcher's two claim queries (due pending rows, expired leases).
          new TableIndex({ name: 'ix_callback_event_status_next', columnNames: ['status', 'next_at'] }),
          new TableIndex({ name: 'ix_callback_event_status_locked', columnNames: ['status', 'locked_until'] }),
          new TableIndex({ name: 'ix_callback_event_user', columnNames: ['user_id', 'id'] }),
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'callback_attempt',
        columns: [
          id(queryRunner),
          { name: 'event_id', type: 'bigint' },
          { name: 'user_id', type: 'bigint' },
          { name: 'attempt', type: 'int' },
          { name: 'status_code', type: 'int', isNullable: true },
          { name: 'duration_ms', type: 'int' },
          { name: 'response_body', type: 'text', isNullable: true },
          { name: 'error', type: 'varchar', length: '255', isNullable: true },
          { name: 'instance_id', type: 'varchar', length: '64' },
          time('waktu'),
        ],
        indices: [new TableIndex({ name: 'ix_callback_attempt_event', columnNames: ['event_id', 'id'] })],
      }),
    );
    await queryRunner.addColumn('transaksi', new TableColumn({ name: 'callback_url', type: 'varchar', length: '2048', isNullable: true }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('transaksi', 'callback_url');
    await queryRunner.dropTable('callback_attempt');
    await queryRunner.dropTable('callback_event');
    await queryRunner.dropTable('callback_endpoint');
  }
}
