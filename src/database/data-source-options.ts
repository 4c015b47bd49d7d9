import type { Logger as Pino } from 'pino';
import type { DataSourceOptions } from 'typeorm';
import type { DatabaseConfig } from '../config/app.config';
import { PpobSimEksekusi } from '../ppob/ppob-sim-eksekusi.entity';
import { AdminAudit } from '../audit/audit.entity';
import { Deposit } from '../deposit/deposit.entity';
import { Produk } from '../produk/produk.entity';
import { Transaksi } from '../transaksi/transaksi.entity';
import { Mutasi } from '../users/mutasi.entity';
import { User } from '../users/user.entity';
import { PinoTypeOrmLogger } from '../logging/typeorm-logger';
import { InitialSchema1795762800000 } from './migrations/1795762800000-initial-schema';
import { SeedProduk1795762800001 } from './migrations/1795762800001-seed-produk';
import { UsersAktif1796152473044 } from './migrations/1796152473044-users-aktif';
import { ProdukKodeKategori1796152473045 } from './migrations/1796152473045-produk-kode-kategori';
import { Deposit1796152473046 } from './migrations/1796152473046-deposit';
import { SaldoKoreksi1796152473047 } from './migrations/1796152473047-saldo-koreksi';
import { AdminAudit1796152473048 } from './migrations/1796152473048-admin-audit';
import { ProcessingCore1796152737363 } from './migrations/1796152737363-processing-core';
import { Callbacks1796154618535 } from './migrations/1796154618535-callbacks';
import { RateLimitOverride1796155589448 } from './migrations/1796155589448-rate-limit-override';
import { SignedRequests1796155161705 } from './migrations/1796155161705-signed-requests';
import { EmailBinaryCollation1796152753645 } from './migrations/1796152753645-email-binary-collation';
import { Supplier1796155565187 } from './migrations/1796155565187-supplier';
import { ProdukKodeNocase1796156363772 } from './migrations/1796156363772-produk-kode-nocase';
import { TransaksiHargaModal1796158164070 } from './migrations/1796158164070-transaksi-harga-modal';
import { TransaksiKode1796159000000 } from './migrations/1796159000000-transaksi-kode';
import { NonceBinaryCollation1796158955902 } from './migrations/1796158955902-nonce-binary-collation';

export const ENTITIES = [User, Mutasi, Produk, Transaksi, PpobSimEksekusi, Deposit, AdminAudit];
// Listed as classes, not a glob, so the same list works from src/ (ts-jest) and dist/.
export const MIGRATIONS = [
  InitialSchema1795762800000,
  SeedProduk1795762800001,
  UsersAktif1796152473044,
  ProdukKodeKategori1796152473045,
  Deposit1796152473046,
  SaldoKoreksi1796152473047,
  AdminAudit1796152473048,
  ProcessingCore1796152737363,
  EmailBinaryCollation1796152753645,
  Callbacks1796154618535,
  SignedRequests1796155161705,
  RateLimitOverride1796155589448,
  Supplier1796155565187,
  ProdukKodeNocase1796156363772,
  TransaksiHargaModal1796158164070,
  NonceBinaryCollation1796158955902,
  TransaksiKode1796159000000,
];

/** A query slower than this is logged (its SQL, never its parameters). */
const SLOW_QUERY_MS = 1_000;

export function buildDataSourceOptions(database: DatabaseConfig, log?: Pino): DataSourceOptions {
  const common = {
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    // Schema comes from migrations only.
    synchronize: false,
    migrationsRun: false,
    // TypeORM's own loggers print query parameters, which include key hashes; ours never does.
    // Without a pino instance (the TypeORM CLI) logging stays off.
    logging: false,
    ...(log ? { logger: new PinoTypeOrmLogger(log), maxQueryExecutionTime: SLOW_QUERY_MS } : {}),
  };
  if (database.type === 'sqlite') {
    return {
      ...common,
      type: 'better-sqlite3',
      database: database.path,
      // WAL lets readers in other processes work while one process writes; `timeout` is
      // better-sqlite3's busy timeout, so a second writer waits instead of failing at once.
      enableWAL: true,
      timeout: 5_000,
      ...(database.nativeBinding ? { nativeBinding: database.nativeBinding } : {}),
    };
  }
  return {
    ...common,
    type: 'mysql',
    url: database.url,
    charset: 'utf8mb4_unicode_ci',
    // DATETIME values are written and read as UTC, whatever the server's time zone.
    timezone: 'Z',
    supportBigNumbers: true,
    bigNumberStrings: true,
    connectTimeout: database.connectTimeoutMs,
    poolSize: database.poolSize,
    extra: { enableKeepAlive: true, keepAliveInitialDelay: 10_000 },
  };
}
