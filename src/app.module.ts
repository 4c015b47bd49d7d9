import { DynamicModule, Module } from '@nestjs/common';
import { ConfigModule, registerAs } from '@nestjs/config';
import { ScheduleModule } from '@nestjs/schedule';
import { TypeOrmModule, TypeOrmModuleOptions } from '@nestjs/typeorm';
import type { DataSource, DataSourceOptions } from 'typeorm';
import { appConfig, AppConfig } from './config/app.config';
import { buildDataSourceOptions } from './database/data-source-options';
import { initDataSource } from './database/database-startup';
import { AdminModule } from './admin/admin.module';
import { DepositModule } from './deposit/deposit.module';
import { HealthModule } from './health/health.module';
import { HttpDrain } from './http/http-lifecycle';
import { MetricsModule } from './metrics/metrics.module';
import { PpobModule } from './ppob/ppob.module';
import { ProdukModule } from './produk/produk.module';
import { SupplierModule } from './supplier/supplier.module';
import { TransaksiModule } from './transaksi/transaksi.module';
import { UsersModule } from './users/users.module';

@Module({})
export class AppModule {
  /**
   * `config` is the validated configuration (main.ts reads it from the environment once; tests
   * build their own). `dataSource`, when given, is an already initialised and migrated
   * connection (see createApp); otherwise one is opened here.
   */
  static forRoot(config?: AppConfig, dataSource?: DataSource): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot({
          isGlobal: true,
          // .env is read by readEnvConfig(), the one reader of the environment.
          ignoreEnvFile: true,
          load: [config ? registerAs('app', () => config) : appConfig],
        }),
        ScheduleModule.forRoot(),
        MetricsModule,
        TypeOrmModule.forRootAsync({
          inject: [appConfig.KEY],
          useFactory: (cfg: AppConfig): TypeOrmModuleOptions => ({
            ...buildDataSourceOptions(cfg.database),
            // Fail fast with one clear line (main.ts) instead of nine retries with stack traces.
            toRetry: () => false,
          }),
          dataSourceFactory: async (options) => dataSource ?? initDataSource(options as DataSourceOptions),
        }),
        UsersModule,
        ProdukModule,
        PpobModule,
        TransaksiModule,
        DepositModule,
        SupplierModule,
        AdminModule,
        HealthModule,
      ],
      providers: [HttpDrain],
    };
  }
}
