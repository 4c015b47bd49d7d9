import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '../audit/audit.module';
import { CallbackModule } from '../callback/callback.module';
import { DatabaseModule } from '../database/database.module';
import { DepositModule } from '../deposit/deposit.module';
import { LaporanService } from '../laporan/laporan.service';
import { Produk } from '../produk/produk.entity';
import { ProdukModule } from '../produk/produk.module';
import { SupplierModule } from '../supplier/supplier.module';
import { User } from '../users/user.entity';
import { UsersModule } from '../users/users.module';
import { AdminConsoleController } from './admin-console.controller';
import { AdminController } from './admin.controller';
import { AdminEnabledGuard, AdminKeyGuard } from './admin-key.guard';
import { AdminProdukService } from './admin-produk.service';
import { AdminTransaksiService } from './admin-transaksi.service';
import { AdminUsersService } from './admin-users.service';

@Module({
  imports: [TypeOrmModule.forFeature([User, Produk]), DatabaseModule, UsersModule, CallbackModule, ProdukModule, DepositModule, AuditModule, SupplierModule],
  controllers: [AdminController, AdminConsoleController],
  providers: [AdminKeyGuard, AdminEnabledGuard, AdminUsersService, AdminProdukService, AdminTransaksiService, LaporanService],
})
export class AdminModule {}
