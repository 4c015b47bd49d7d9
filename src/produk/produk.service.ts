import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { TtlCache } from '../common/ttl-cache';
import { appConfig, AppConfig } from '../config/app.config';
import { insideCutOff, jakartaClock } from '../supplier/price-list';
import { ProdukQueryDto, ProdukResponseDto } from './produk.dto';
import { Produk } from './produk.entity';

interface Catalogue {
  rows: Produk[];
  byId: Map<number, Produk>;
}

/**
 * The active products, read as one small table and kept for at most PRODUK_CACHE_TTL_MS:
 * every /produk and every /beli needs them, and an operator's change (price, aktif) is seen by
 * every instance within that bound.
 *
 * Buyable = aktif, sold by the supplier at the last price-list sync (with a real supplier: and
 * priced by it), and outside the supplier's daily cut-off window. The window is checked at each request (it comes round every day), the
 * rest comes from the table.
 */
@Injectable()
export class ProdukService {
  private readonly cache: TtlCache<'active', Catalogue>;
  /** With a real supplier, a product the price list never priced is not sold: nothing bounds what the supplier would charge (max_price). */
  private readonly needsSupplierPrice: boolean;

  constructor(
    @InjectRepository(Produk) private readonly produk: Repository<Produk>,
    @Inject(appConfig.KEY) config: AppConfig,
  ) {
    this.cache = new TtlCache(config.cache.produkTtlMs, 1);
    this.needsSupplierPrice = config.ppobProvider !== 'simulated';
  }

  async listActive(query: ProdukQueryDto = {}): Promise<ProdukResponseDto[]> {
    const now = jakartaClock(new Date());
    const kategori = query.kategori?.toLowerCase();
    const brand = query.brand?.toLowerCase();
    return (await this.catalogue()).rows
      .filter((row) => buyableAt(row, now))
      .filter((row) => (!kategori || row.kategori.toLowerCase() === kategori) && (!brand || row.brand.toLowerCase() === brand))
      .map((row) => ({ id: row.id, kode: row.kode, nama: row.nama, kategori: row.kategori, brand: row.brand, harga: row.harga, nominal: row.nominal, deskripsi: row.deskripsi }));
  }

  /** A buyable product, or null: inactive, unavailable or cut-off products cannot be bought. */
  async findActive(id: number): Promise<Produk | null> {
    const row = (await this.catalogue()).byId.get(id);
    return row && buyableAt(row, jakartaClock(new Date())) ? row : null;
  }

  /** Drops this instance's copy after an operator change, so it is seen here at once (elsewhere within the TTL). */
  invalidate(): void {
    this.cache.clear();
  }

  private async catalogue(): Promise<Catalogue> {
    const catalogue = await this.cache.getOrLoad('active', async () => {
      const rows = (await this.produk.find({ where: { aktif: true, tersediaSupplier: true }, order: { id: 'ASC' } })).filter(
        (row) => !this.needsSupplierPrice || row.hargaModal !== null,
      );
      return { rows, byId: new Map(rows.map((row) => [row.id, row])) };
    });
    return catalogue!;
  }
}

function buyableAt(row: Produk, now: string): boolean {
  return !insideCutOff(now, row.cutOffMulai, row.cutOffSelesai);
}
