import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { SecretBoxModule } from '../common/secret-box.module';
import { DatabaseModule } from '../database/database.module';
import { RateLimitGuard } from '../rate-limit/rate-limit.guard';
import { RateLimitModule } from '../rate-limit/rate-limit.module';
import { ApiKeyGuard } from './api-key.guard';
import { KeamananController } from './keamanan.controller';
import { LedgerService } from './ledger.service';
import { RequestNonceRepository } from './request-nonce.repository';
import { RequestSecurityService } from './request-security.service';
import { Mutasi } from './mutasi.entity';
import { User } from './user.entity';
import { UsersController } from './users.controller';
import { UsersService } from './users.service';

@Module({
  imports: [TypeOrmModule.forFeature([User, Mutasi]), DatabaseModule, SecretBoxModule, RateLimitModule],
  controllers: [UsersController, KeamananController],
  providers: [
    UsersService,
    LedgerService,
    RequestNonceRepository,
    RequestSecurityService,
    // In this order: the rate limit needs to know the reseller.
    { provide: APP_GUARD, useClass: ApiKeyGuard },
    { provide: APP_GUARD, useClass: RateLimitGuard },
  ],
  exports: [UsersService, LedgerService],
})
export class UsersModule {}
