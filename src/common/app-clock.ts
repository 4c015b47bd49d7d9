import { Inject, Injectable } from '@nestjs/common';
import { appConfig, AppConfig } from '../config/app.config';

/**
 * This process's wall clock, for timestamps the app writes (waktu, updated_at). Lease times never
 * come from here: they come from the database's clock inside the statements that compare them,
 * because two machines' clocks disagree. APP_CLOCK_OFFSET_MS (tests only) shifts this clock so a
 * spec can prove exactly that.
 */
@Injectable()
export class AppClock {
  private readonly offsetMs: number;

  constructor(@Inject(appConfig.KEY) config: AppConfig) {
    this.offsetMs = config.clockOffsetMs;
  }

  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }
}
