import { Module } from '@nestjs/common';
import { getDataSourceToken, TypeOrmModule } from '@nestjs/typeorm';
import type { DataSource, Repository } from 'typeorm';
import { getRepositoryToken } from '@nestjs/typeorm';
import { appConfig, AppConfig } from '../config/app.config';
import { DatabaseModule } from '../database/database.module';
import { TransactionRunner } from '../database/transaction-runner';
import { DigiflazzPpobProvider } from './digiflazz/digiflazz-ppob.provider';
import { PpobSimEksekusi } from './ppob-sim-eksekusi.entity';
import { PpobProvider } from './ppob.provider';
import { SimulatedPpobProvider } from './simulated-ppob.provider';

/** Binds the PpobProvider port: the simulation (default) or a Digiflazz-compatible supplier (PPOB_PROVIDER). */
@Module({
  imports: [TypeOrmModule.forFeature([PpobSimEksekusi]), DatabaseModule],
  providers: [
    {
      provide: PpobProvider,
      inject: [appConfig.KEY, getDataSourceToken(), getRepositoryToken(PpobSimEksekusi), TransactionRunner],
      useFactory: (config: AppConfig, dataSource: DataSource, eksekusi: Repository<PpobSimEksekusi>, tx: TransactionRunner): PpobProvider =>
        config.digiflazz ? new DigiflazzPpobProvider(config.digiflazz, dataSource) : new SimulatedPpobProvider(eksekusi, tx, config),
    },
  ],
  exports: [PpobProvider],
})
export class PpobModule {}
