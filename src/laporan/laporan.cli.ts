import 'reflect-metadata';
import { ConfigError, readEnvConfig } from '../config/app.config';
import { buildDataSourceOptions } from '../database/data-source-options';
import { DatabaseStartupError, initDataSource } from '../database/database-startup';
import { dateIn, isCalendarDate } from './business-day';
import { buildLaporan } from './laporan';

/**
 * `npm run laporan -- 2026-11-30`: the same report as GET /admin/laporan, printed as JSON, from
 * the database in DATABASE_URL. Exits 2 when the ledger check finds a reseller that does not add
 * up, so a nightly job can alert on it.
 */
async function main(): Promise<number> {
  const config = readEnvConfig();
  const arg = process.argv[2];
  const tanggal = arg ?? dateIn(config.tzLaporan, new Date());
  if (!isCalendarDate(tanggal)) {
    console.error(`laporan: "${tanggal}" is not a date; usage: npm run laporan -- YYYY-MM-DD`);
    return 1;
  }
  const dataSource = await initDataSource(buildDataSourceOptions(config.database));
  try {
    const laporan = await dataSource.transaction((manager) => buildLaporan(manager, tanggal, config.tzLaporan));
    process.stdout.write(`${JSON.stringify(laporan, null, 2)}\n`);
    return laporan.ledger.ok ? 0 : 2;
  } finally {
    await dataSource.destroy();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof ConfigError || err instanceof DatabaseStartupError) console.error(`laporan: ${err.message}`);
    else console.error('laporan: failed:', err);
    process.exit(1);
  },
);
