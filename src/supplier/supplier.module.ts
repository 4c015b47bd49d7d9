import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { DatabaseModule } from '../database/database.module';
import { PpobModule } from '../ppob/ppob.module';
import { ProdukModule } from '../produk/produk.module';
import { TransaksiModule } from '../transaksi/transaksi.module';
import { DigiflazzWebhookController } from './digiflazz-webhook.controller';
import { InquiryPlnController } from './inquiry-pln.controller';
import { PriceSyncService } from './price-sync.service';

/** The supplier's side of the server: its callback, the price-list sync and deposit check, PLN inquiry. */
@Module({
  imports: [AuditModule, DatabaseModule, PpobModule, ProdukModule, TransaksiModule],
  controllers: [DigiflazzWebhookController, InquiryPlnController],
  providers: [PriceSyncService],
  exports: [PriceSyncService],
})
export class SupplierModule {}
