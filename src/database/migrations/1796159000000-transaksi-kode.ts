import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';

/**
 * transaksi.kode: the product's supplier code (buyer_sku_code) at /beli, sent on every call for the
 * purchase. Read from the product at call time, an operator's PATCH of the kode between /beli and
 * the call that goes through (a backlog, a supplier answering "try later") sent the retry as
 * another product: charged for one, the supplier sold another (or, the first call having reached
 * it, answered rc 49 for ever). Null for purchases made before this column (they fall back to the
 * product's).
 */
export class TransaksiKode1796159000000 implements MigrationInterface {
  name = 'TransaksiKode1796159000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn('transaksi', new TableColumn({ name: 'kode', type: 'varchar', length: '50', isNullable: true }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('transaksi', 'kode');
  }
}
