import { Module } from '@nestjs/common';
import { AppClock } from '../common/app-clock';
import { TransactionRunner } from './transaction-runner';

@Module({
  providers: [TransactionRunner, AppClock],
  exports: [TransactionRunner, AppClock],
})
export class DatabaseModule {}
