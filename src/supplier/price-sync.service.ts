import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { AdminCaller } from '../admin/admin-key.guard';
import { AuditService } from '../audit/audit.service';
import { DomainError } from '../common/domain-error';
import type { RequestDeadline } from '../http/request-deadline';
import { appConfig, AppConfig, DigiflazzConfig } from '../config/app.config';
import { sqlDateTime } from '../database/sql-time';
import { TransactionRunner } from '../database/transaction-runner';
import { MetricsService } from '../metrics/metrics.service';
import { DigiflazzPpobProvider } from '../ppob/digiflazz/digiflazz-ppob.provider';
import { DigiflazzUnreachableError } from '../ppob/digiflazz/digiflazz.client';
import { PpobProvider } from '../ppob/ppob.provider';
import { ProdukService } from '../produk/produk.service';
import { readPriceListItem, sellingPrice } from './price-list';
import { ProdukFiguresDto, SyncReportDto } from './price-sync.dto';
import { releaseLease, tryLease } from './supplier-lease';

type ProdukFigures = ProdukFiguresDto;
export type SyncReport = SyncReportDto;

/** Only one sync runs at a time across instances; a run that outlives this loses the lease (a dead instance). */
const RUN_LEASE_MS = 120_000;

/**
 * The price-list sync: at start-up, every DIGIFLAZZ_SYNC_INTERVAL_MS, and on demand
 * (POST /admin/produk/sync). Products are matched by kode = buyer_sku_code; the sync stores the
 * supplier price (harga_modal), derives harga from it unless the operator set harga by hand, and
 * records whether the supplier sells it (statuses, stock) and its cut-off window. It never
 * creates products: what is sold is the operator's choice.
 *
 * The supplier answers rc 83 to a price list asked within 5 minutes of the last one, for the
 * whole account: so across instances only one scheduled sync runs per interval (the `jadwal`
 * lease, held for the interval) and one sync at all at a time (the `run` lease).
 */
@Injectable()
export class PriceSyncService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('PriceSync');
  private readonly holder: string;
  private timers: NodeJS.Timeout[] = [];
  private running: Promise<unknown> = Promise.resolve();
  /** A sync runs here now: the run lease is the same row for this instance's own holder, so it cannot tell. */
  private syncing = false;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly tx: TransactionRunner,
    private readonly provider: PpobProvider,
    private readonly catalogue: ProdukService,
    private readonly metrics: MetricsService,
    private readonly audit: AuditService,
    @Inject(appConfig.KEY) private readonly config: AppConfig,
  ) {
    this.holder = config.processor.instanceId;
  }

  onApplicationBootstrap(): void {
    const supplier = this.config.digiflazz;
    if (!supplier || !(this.provider instanceof DigiflazzPpobProvider)) return;
    const scheduled = () => {
      this.running = this.scheduledSync(supplier).catch((err: Error) => this.logger.warn(`price-list sync failed: ${err.message}`));
    };
    scheduled();
    this.timers.push(setInterval(scheduled, supplier.syncIntervalMs));
    const saldo = () => void this.checkSaldo(supplier).catch((err: Error) => this.logger.warn(`supplier deposit check failed: ${err.message}`));
    saldo();
    this.timers.push(setInterval(saldo, supplier.saldoIntervalMs));
  }

  async beforeApplicationShutdown(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    await this.running;
  }

  /** The operator's sync: runs now unless another sync is running (409). */
  async syncNow(admin: AdminCaller, deadline?: RequestDeadline): Promise<SyncReport> {
    const supplier = this.config.digiflazz;
    if (!supplier) throw new DomainError('SUPPLIER_NOT_CONFIGURED', 'Tidak ada supplier (PPOB_PROVIDER=simulated): tidak ada daftar harga untuk disinkronkan');
    const report = await this.underRunLease(supplier, { admin, deadline });
    if (!report) throw new DomainError('SUPPLIER_SYNC_RUNNING', 'Sinkronisasi daftar harga sedang berjalan di instance lain; coba lagi sebentar lagi');
    return report;
  }

  private async scheduledSync(supplier: DigiflazzConfig): Promise<void> {
    // Held for (nearly) the interval: the next scheduled sync anywhere waits for it to pass.
    if (!(await tryLease(this.dataSource, this.tx.dialect, 'pricelist:jadwal', this.holder, supplier.syncIntervalMs - 1_000))) return;
    const report = await this.underRunLease(supplier);
    if (report) this.logger.log(`price-list sync: ${report.diperiksa} checked, ${report.diubah.length} changed, ${report.tidak_ada_di_supplier.length} not listed by the supplier`);
  }

  private async underRunLease(supplier: DigiflazzConfig, asked?: OperatorAsk): Promise<SyncReport | null> {
    if (this.syncing) return null;
    this.syncing = true;
    try {
      if (!(await tryLease(this.dataSource, this.tx.dialect, 'pricelist:run', this.holder, RUN_LEASE_MS))) return null;
      try {
        return await this.sync(supplier, asked);
      } finally {
        await releaseLease(this.dataSource, 'pricelist:run', this.holder).catch(() => undefined);
      }
    } finally {
      this.syncing = false;
    }
  }

  /**
   * `asked`: the operator who asked (the changes are audited in the same transaction) and the
   * request's deadline: a sync answered 503 REQUEST_TIMEOUT (the supplier was slow) commits nothing.
   */
  private async sync(supplier: DigiflazzConfig, asked?: OperatorAsk): Promise<SyncReport> {
    const client = (this.provider as DigiflazzPpobProvider).client;
    let answer;
    try {
      answer = await client.post('/price-list', { cmd: 'prepaid', username: client.username, sign: client.sign('pricelist') });
    } catch (err) {
      if (err instanceof DigiflazzUnreachableError) throw new DomainError('SUPPLIER_UNAVAILABLE', `Supplier tidak menjawab: ${err.message}`);
      throw err;
    }
    if (!Array.isArray(answer.data)) {
      const rc = answer.data && typeof answer.data.rc === 'string' ? answer.data.rc : null;
      const why = rc === '83' ? 'daftar harga diminta terlalu sering (rc 83); coba lagi setelah 5 menit' : `jawaban supplier tidak berisi daftar harga (HTTP ${answer.httpStatus}${rc ? `, rc ${rc}` : ''})`;
      throw new DomainError('SUPPLIER_UNAVAILABLE', `Supplier: ${why}`);
    }
    const items = new Map(answer.data.map(readPriceListItem).filter((i) => i !== null).map((i) => [i.kode, i]));
    const report: SyncReport = { diperiksa: 0, diubah: [], tidak_ada_di_supplier: [], tidak_dipakai: 0 };
    await this.tx.run(async (manager) => {
      const rows: ProdukRow[] = await manager.query(
        'SELECT id, kode, harga, harga_modal, harga_manual, tersedia_supplier, brand, cut_off_mulai, cut_off_selesai FROM produk WHERE kode IS NOT NULL',
      );
      const ours = new Set(rows.map((r) => r.kode));
      report.tidak_dipakai = [...items.keys()].filter((k) => !ours.has(k)).length;
      const now = sqlDateTime(new Date());
      for (const row of rows) {
        report.diperiksa++;
        const before = figuresOf(row);
        const item = items.get(row.kode);
        if (!item) report.tidak_ada_di_supplier.push(row.kode);
        const after: ProdukFigures = item
          ? {
              harga: Number(row.harga_manual) === 1 || row.harga_manual === true ? before.harga : sellingPrice(item.hargaModal, supplier.markup),
              harga_modal: item.hargaModal,
              tersedia_supplier: item.tersedia,
              brand: item.brand,
              cut_off: item.cutOffMulai ? `${item.cutOffMulai}-${item.cutOffSelesai}` : null,
            }
          : { ...before, tersedia_supplier: false };
        if (JSON.stringify(before) === JSON.stringify(after)) continue;
        await manager.query(
          'UPDATE produk SET harga = ?, harga_modal = ?, tersedia_supplier = ?, brand = ?, cut_off_mulai = ?, cut_off_selesai = ?, updated_at = ? WHERE id = ?',
          [after.harga, after.harga_modal, after.tersedia_supplier ? 1 : 0, after.brand, item?.cutOffMulai ?? row.cut_off_mulai, item?.cutOffSelesai ?? row.cut_off_selesai, now, row.id],
        );
        report.diubah.push({ kode: row.kode, sebelum: before, sesudah: after });
      }
      if (asked) {
        await this.audit.record(manager, { adminId: asked.admin.id, aksi: 'produk.sync', objek: 'produk', sebelum: null, sesudah: { diubah: report.diubah.map((c) => ({ kode: c.kode, ...c.sesudah })) } });
      }
    }, { deadline: asked?.deadline });
    this.catalogue.invalidate();
    return report;
  }

  private async checkSaldo(supplier: DigiflazzConfig): Promise<void> {
    const client = (this.provider as DigiflazzPpobProvider).client;
    const answer = await client.post('/cek-saldo', { cmd: 'deposit', username: client.username, sign: client.sign('depo') });
    const deposit = !Array.isArray(answer.data) && answer.data ? Number(answer.data.deposit) : NaN;
    if (!Number.isFinite(deposit)) throw new Error(`no deposit in the answer (HTTP ${answer.httpStatus})`);
    this.metrics.upstreamSaldo.set(deposit);
    if (deposit < supplier.saldoWarnBelow) {
      this.logger.warn(`SUPPLIER DEPOSIT LOW: ${deposit} is below DIGIFLAZZ_SALDO_WARN_BELOW (${supplier.saldoWarnBelow}); top it up before purchases fail with rc 44`);
    }
  }
}

interface OperatorAsk {
  admin: AdminCaller;
  deadline?: RequestDeadline;
}

interface ProdukRow {
  id: number;
  kode: string;
  harga: number | string;
  harga_modal: number | string | null;
  harga_manual: number | boolean;
  tersedia_supplier: number | boolean;
  brand: string;
  cut_off_mulai: string | null;
  cut_off_selesai: string | null;
}

function figuresOf(row: ProdukRow): ProdukFigures {
  return {
    harga: Number(row.harga),
    harga_modal: row.harga_modal === null ? null : Number(row.harga_modal),
    tersedia_supplier: Number(row.tersedia_supplier) === 1 || row.tersedia_supplier === true,
    brand: row.brand,
    cut_off: row.cut_off_mulai ? `${row.cut_off_mulai}-${row.cut_off_selesai}` : null,
  };
}
