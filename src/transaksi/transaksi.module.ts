import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CallbackModule } from '../callback/callback.module';
import { DatabaseModule } from '../database/database.module';
import { PpobModule } from '../ppob/ppob.module';
import { ProdukModule } from '../produk/produk.module';
import { UsersModule } from '../users/users.module';
import { BeliGroupCommit } from './beli-group-commit';
import { TransaksiQueueService } from './transaksi-queue.service';
import { TransaksiController } from './transaksi.controller';
import { Transaksi } from './transaksi.entity';
import { TransaksiProcessor } from './transaksi.processor';
import { TransaksiRepository } from './transaksi.repository';
import { TransaksiService } from './transaksi.service';

@Module({
  imports: [TypeOrmModule.forFeature([Transaksi]), DatabaseModule, CallbackModule, PpobModule, ProdukModule, UsersModule],
  controllers: [TransaksiController],
  providers: [TransaksiService, BeliGroupCommit, TransaksiRepository, TransaksiQueueService, TransaksiProcessor],
  exports: [TransaksiProcessor, TransaksiRepository],
})
export class TransaksiModule {}
