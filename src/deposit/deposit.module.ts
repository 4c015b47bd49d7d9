import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '../audit/audit.module';
import { CallbackModule } from '../callback/callback.module';
import { DatabaseModule } from '../database/database.module';
import { UsersModule } from '../users/users.module';
import { DepositController } from './deposit.controller';
import { Deposit } from './deposit.entity';
import { DepositService } from './deposit.service';

@Module({
  imports: [TypeOrmModule.forFeature([Deposit]), DatabaseModule, UsersModule, CallbackModule, AuditModule],
  controllers: [DepositController],
  providers: [DepositService],
  exports: [DepositService],
})
export class DepositModule {}
