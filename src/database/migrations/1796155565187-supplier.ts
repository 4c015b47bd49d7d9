import { MigrationInterface, QueryRunner, Table, TableColumn } from 'typeorm';

/**
 * Issue 11, a real supplier:
 * - transaksi.sn, upstream_rc, upstream_pesan: the supplier's serial number, code and message,
 *   kept on the purchase (from the processor's answer or the supplier's callback).
 * - produk.harga_modal (the supplier's price, sent as max_price), brand, harga_manual (the
 *   operator set harga by hand, so the price-list sync leaves it), tersedia_supplier (both
 *   supplier statuses on and stock left, at the last sync) and the supplier's daily cut-off window
 *   (HH:MM, Asia/Jakarta; evaluated when listing, since the window comes round every day).
 * - supplier_lease: one row per periodic job, so only one instance runs it at a time.
 */
export class Supplier1796155565187 implements MigrationInterface {
  name = 'Supplier1796155565187';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumns('transaksi', [
      new TableColumn({ name: 'sn', type: 'varchar', length: '100', isNullable: true }),
      new TableColumn({ name: 'upstream_rc', type: 'varchar', length: '4', isNullable: true }),
      new TableColumn({ name: 'upstream_pesan', type: 'varchar', length: '255', isNullable: true }),
    ]);
    await queryRunner.addColumns('produk', [
      new TableColumn({ name: 'harga_modal', type: 'bigint', isNullable: true }),
      new TableColumn({ name: 'brand', type: 'varchar', length: '50', isNullable: false, default: "''" }),
      new TableColumn({ name: 'harga_manual', type: 'boolean', isNullable: false, default: false }),
      new TableColumn({ name: 'tersedia_supplier', type: 'boolean', isNullable: false, default: true }),
      new TableColumn({ name: 'cut_off_mulai', type: 'varchar', length: '5', isNullable: true }),
      new TableColumn({ name: 'cut_off_selesai', type: 'varchar', length: '5', isNullable: true }),
    ]);
    await queryRunner.createTable(
      new Table({
        name: 'supplier_lease',
        columns: [
          { name: 'nama', type: 'varchar', length: '50', isPrimary: true },
          { name: 'holder', type: 'varchar', length: '64', isNullable: false },
          { name: 'locked_until', type: 'datetime', precision: 3, isNullable: false },
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('supplier_lease');
    for (const column of ['cut_off_selesai', 'cut_off_mulai', 'tersedia_supplier', 'harga_manual', 'brand', 'harga_modal']) await queryRunner.dropColumn('produk', column);
    for (const column of ['upstream_pesan', 'upstream_rc', 'sn']) await queryRunner.dropColumn('transaksi', column);
  }
}
