import { Inject, Injectable } from '@nestjs/common';
import { DomainError } from '../common/domain-error';
import { appConfig, AppConfig } from '../config/app.config';
import { TransactionRunner } from '../database/transaction-runner';
import { dateIn, isCalendarDate } from './business-day';
import { buildLaporan } from './laporan';
import { LaporanResponseDto } from './laporan.dto';

@Injectable()
export class LaporanService {
  constructor(
    private readonly tx: TransactionRunner,
    @Inject(appConfig.KEY) private readonly config: AppConfig,
  ) {}

  /** One business day's figures (today in TZ_LAPORAN when no date is given). */
  harian(tanggal?: string): Promise<LaporanResponseDto> {
    const day = tanggal ?? dateIn(this.config.tzLaporan, new Date());
    if (!isCalendarDate(day)) {
      const message = 'tanggal must be a real date YYYY-MM-DD';
      throw new DomainError('VALIDATION_FAILED', message, [{ field: 'tanggal', message }]);
    }
    // One transaction: one snapshot for all the figures (see buildLaporan).
    return this.tx.run((manager) => buildLaporan(manager, day, this.config.tzLaporan));
  }
}
