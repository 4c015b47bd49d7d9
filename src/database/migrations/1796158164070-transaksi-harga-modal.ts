import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';

/**
 * transaksi.harga_modal: the supplier price the purchase was sold at (the product's harga_modal at
 * /beli), sent as max_price on every call for it. Read from the product at call time, a price-list
 * sync between /beli and the call that goes through (a backlog, a supplier answering "try later")
 * raised max_price, and the supplier could charge more than the sale was priced from.
 * Null for purchases made before this column (they fall back to the product's).
 */
export class TransaksiHargaModal1796158164070 implements MigrationInterface {
  name = 'TransaksiHargaModal1796158164070';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn('transaksi', new TableColumn({ name: 'harga_modal', type: 'bigint', isNullable: true }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('transaksi', 'harga_modal');
  }
}
