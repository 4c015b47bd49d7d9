import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { ProdukResponseDto } from './produk.dto';
import { Produk } from './produk.entity';

@Injectable()
export class ProdukService {
  constructor(@InjectRepository(Produk) private readonly produk: Repository<Produk>) {}

  async listActive(): Promise<ProdukResponseDto[]> {
    const rows = await this.produk.find({ where: { aktif: true }, order: { id: 'ASC' } });
    return rows.map((row) => ({ id: row.id, nama: row.nama, harga: row.harga, nominal: row.nominal, deskripsi: row.deskripsi }));
  }

  /** An active product, or null: inactive products cannot be bought. */
  findActive(id: number): Promise<Produk | null> {
    return this.produk.findOne({ where: { id, aktif: true } });
  }
}
