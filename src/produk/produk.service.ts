import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { TtlCache } from '../common/ttl-cache';
import { appConfig, AppConfig } from '../config/app.config';
import { ProdukResponseDto } from './produk.dto';
import { Produk } from './produk.entity';

interface Catalogue {
  list: ProdukResponseDto[];
  byId: Map<number, Produk>;
}

/**
 * The active products, read as one small table and kept for at most PRODUK_CACHE_TTL_MS:
 * every /produk and every /beli needs them, and an operator's change (price, aktif) is seen by
 * every instance within that bound.
 */
@Injectable()
export class ProdukService {
  private readonly cache: TtlCache<'active', Catalogue>;

  constructor(
    @InjectRepository(Produk) private readonly produk: Repository<Produk>,
    @Inject(appConfig.KEY) config: AppConfig,
  ) {
    this.cache = new TtlCache(config.cache.produkTtlMs, 1);
  }

  async listActive(): Promise<ProdukResponseDto[]> {
    return (await this.catalogue()).list;
  }

  /** An active product, or null: inactive products cannot be bought. */
  async findActive(id: number): Promise<Produk | null> {
    return (await this.catalogue()).byId.get(id) ?? null;
  }

  /** Drops this instance's copy after an operator change, so it is seen here at once (elsewhere within the TTL). */
  invalidate(): void {
    this.cache.clear();
  }

  private async catalogue(): Promise<Catalogue> {
    const catalogue = await this.cache.getOrLoad('active', async () => {
      const rows = await this.produk.find({ where: { aktif: true }, order: { id: 'ASC' } });
      return {
        list: rows.map((row) => ({ id: row.id, nama: row.nama, harga: row.harga, nominal: row.nominal, deskripsi: row.deskripsi })),
        byId: new Map(rows.map((row) => [row.id, row])),
      };
    });
    return catalogue!;
  }
}
