import { Module } from '@nestjs/common';
import { TransactionRunner } from './transaction-runner';

@Module({
  providers: [TransactionRunner],
  exports: [TransactionRunner],
})
export class DatabaseModule {}
