import { Module } from '@nestjs/common';
import { SecretBoxModule } from '../common/secret-box.module';
import { DatabaseModule } from '../database/database.module';
import { UsersModule } from '../users/users.module';
import { CallbackOutbox } from './callback-outbox';
import { CallbackController } from './callback.controller';
import { CallbackDispatcher } from './callback.dispatcher';
import { CallbackRepository } from './callback.repository';
import { CallbackService } from './callback.service';
import { HostResolver, SystemHostResolver } from './host-resolver';

@Module({
  imports: [DatabaseModule, UsersModule, SecretBoxModule],
  controllers: [CallbackController],
  providers: [CallbackRepository, CallbackOutbox, CallbackDispatcher, CallbackService, { provide: HostResolver, useClass: SystemHostResolver }],
  exports: [CallbackOutbox, CallbackService],
})
export class CallbackModule {}
