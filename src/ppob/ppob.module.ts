import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DatabaseModule } from '../database/database.module';
import { PpobSimEksekusi } from './ppob-sim-eksekusi.entity';
import { PpobProvider } from './ppob.provider';
import { SimulatedPpobProvider } from './simulated-ppob.provider';

/** Binds the PpobProvider port. A real upstream adapter replaces the simulation here. */
@Module({
  imports: [TypeOrmModule.forFeature([PpobSimEksekusi]), DatabaseModule],
  providers: [{ provide: PpobProvider, useClass: SimulatedPpobProvider }],
  exports: [PpobProvider],
})
export class PpobModule {}
