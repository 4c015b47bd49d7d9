import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { isDuplicateKey } from '../common/database-errors';
import { DomainError, FieldError } from '../common/domain-error';
import { TransactionRunner } from '../database/transaction-runner';
import type { RequestDeadline } from '../http/request-deadline';
import { Produk } from '../produk/produk.entity';
import { ProdukService } from '../produk/produk.service';
import type { AdminCaller } from './admin-key.guard';
import { AdminProdukResponseDto, CreateProdukDto, PatchProdukDto } from './admin-produk.dto';

/**
 * Products as the operator manages them. Never deleted (transaksi point at them): `aktif: false`
 * retires one. This instance's product cache is dropped after each change; other instances see
 * it within PRODUK_CACHE_TTL_MS.
 */
@Injectable()
export class AdminProdukService {
  constructor(
    @InjectRepository(Produk) private readonly produk: Repository<Produk>,
    private readonly catalogue: ProdukService,
    private readonly audit: AuditService,
    private readonly tx: TransactionRunner,
  ) {}

  async list(): Promise<AdminProdukResponseDto[]> {
    return (await this.produk.find({ order: { id: 'ASC' } })).map(toProdukResponse);
  }

  async create(admin: AdminCaller, dto: CreateProdukDto, deadline?: RequestDeadline): Promise<AdminProdukResponseDto> {
    const saved = await this.withKodeCheck(dto.kode, () =>
      this.tx.run(async (manager) => {
        const now = new Date();
        const row = manager.create(Produk, {
          nama: dto.nama,
          kode: dto.kode,
          kategori: dto.kategori ?? 'umum',
          harga: dto.harga,
          nominal: dto.nominal,
          deskripsi: dto.deskripsi ?? '',
          aktif: dto.aktif ?? true,
          hargaManual: dto.harga_manual ?? false,
          createdAt: now,
          updatedAt: now,
        });
        const { identifiers } = await manager.insert(Produk, row);
        row.id = Number(identifiers[0].id);
        await this.audit.record(manager, { adminId: admin.id, aksi: 'produk.buat', objek: `produk:${row.id}`, sebelum: null, sesudah: auditFigures(row) });
        return row;
      }, { deadline }),
    );
    this.catalogue.invalidate();
    return toProdukResponse(saved);
  }

  async patch(admin: AdminCaller, id: number, dto: PatchProdukDto, deadline?: RequestDeadline): Promise<AdminProdukResponseDto> {
    const fields = Object.entries(dto).filter(([, value]) => value !== undefined);
    const nulls: FieldError[] = fields.filter(([, value]) => value === null).map(([field]) => ({ field, message: `${field} must not be null` }));
    if (nulls.length > 0) throw new DomainError('VALIDATION_FAILED', nulls.map((e) => e.message).join('; '), nulls);
    if (fields.length === 0) {
      const message = 'Kirim minimal satu field: nama, kode, kategori, harga, nominal, deskripsi, aktif, harga_manual';
      throw new DomainError('VALIDATION_FAILED', message, [{ field: 'body', message }]);
    }
    const saved = await this.withKodeCheck(dto.kode, () =>
      this.tx.run(async (manager) => {
        const before = await manager.findOne(Produk, { where: { id } });
        if (!before) throw new DomainError('PRODUK_NOT_FOUND', `Produk ${id} tidak ditemukan`);
        const { harga_manual: hargaManual, ...columns } = Object.fromEntries(fields) as Partial<Produk> & { harga_manual?: boolean };
        // A price the operator sets stays: the price-list sync no longer derives it.
        const manual = hargaManual ?? (columns.harga !== undefined ? true : undefined);
        const changes: Partial<Produk> = { ...columns, ...(manual === undefined ? {} : { hargaManual: manual }), updatedAt: new Date() };
        await manager.update(Produk, { id }, changes);
        const after = Object.assign(new Produk(), before, changes);
        await this.audit.record(manager, { adminId: admin.id, aksi: 'produk.ubah', objek: `produk:${id}`, sebelum: auditFigures(before), sesudah: auditFigures(after) });
        return after;
      }, { deadline }),
    );
    this.catalogue.invalidate();
    return toProdukResponse(saved);
  }

  private async withKodeCheck<T>(kode: string | undefined, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      if (isDuplicateKey(err)) throw new DomainError('PRODUK_KODE_TAKEN', `Kode produk ${kode} sudah dipakai produk lain`);
      throw err;
    }
  }
}

function auditFigures(p: Produk): object {
  return { nama: p.nama, kode: p.kode, kategori: p.kategori, harga: p.harga, nominal: p.nominal, deskripsi: p.deskripsi, aktif: Boolean(p.aktif), harga_manual: Boolean(p.hargaManual) };
}

function toProdukResponse(p: Produk): AdminProdukResponseDto {
  return {
    id: p.id,
    nama: p.nama,
    kode: p.kode,
    kategori: p.kategori,
    harga: p.harga,
    nominal: p.nominal,
    deskripsi: p.deskripsi,
    aktif: Boolean(p.aktif),
    harga_modal: p.hargaModal ?? null,
    harga_manual: Boolean(p.hargaManual),
    brand: p.brand ?? '',
    tersedia_supplier: p.tersediaSupplier === undefined ? true : Boolean(p.tersediaSupplier),
    updated_at: p.updatedAt.toISOString(),
  };
}
