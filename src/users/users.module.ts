import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DatabaseModule } from '../database/database.module';
import { ApiKeyGuard } from './api-key.guard';
import { LedgerService } from './ledger.service';
import { Mutasi } from './mutasi.entity';
import { User } from './user.entity';
import { UsersController } from './users.controller';
import { UsersService } from './users.service';

@Module({
  imports: [TypeOrmModule.forFeature([User, Mutasi]), DatabaseModule],
  controllers: [UsersController],
  providers: [UsersService, LedgerService, { provide: APP_GUARD, useClass: ApiKeyGuard }],
  exports: [UsersService, LedgerService],
})
export class UsersModule {}
