import { Module } from '@nestjs/common';
import { SecretBox } from '../common/secret-box';
import { DatabaseModule } from '../database/database.module';
import { UsersModule } from '../users/users.module';
import { CallbackOutbox } from './callback-outbox';
import { CallbackController } from './callback.controller';
import { CallbackDispatcher } from './callback.dispatcher';
import { CallbackRepository } from './callback.repository';
import { CallbackService } from './callback.service';

@Module({
  imports: [DatabaseModule, UsersModule],
  controllers: [CallbackController],
  providers: [CallbackRepository, CallbackOutbox, CallbackDispatcher, CallbackService, SecretBox],
  exports: [CallbackOutbox, CallbackService],
})
export class CallbackModule {}
