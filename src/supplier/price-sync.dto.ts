import { ApiProperty } from '@nestjs/swagger';

export class ProdukFiguresDto {
  @ApiProperty({ example: 10_650 })
  harga!: number;

  @ApiProperty({ example: 10_150, nullable: true, type: Number })
  harga_modal!: number | null;

  @ApiProperty({ example: true })
  tersedia_supplier!: boolean;

  @ApiProperty({ example: 'XL' })
  brand!: string;

  @ApiProperty({ example: '23:45-00:15', nullable: true, type: String, description: 'Daily cut-off window, Asia/Jakarta' })
  cut_off!: string | null;
}

export class ProdukChangeDto {
  @ApiProperty({ example: 'xld10' })
  kode!: string;

  @ApiProperty({ type: ProdukFiguresDto })
  sebelum!: ProdukFiguresDto;

  @ApiProperty({ type: ProdukFiguresDto })
  sesudah!: ProdukFiguresDto;
}

export class SyncReportDto {
  @ApiProperty({ example: 4, description: 'Products with a kode compared with the price list' })
  diperiksa!: number;

  @ApiProperty({ type: [ProdukChangeDto] })
  diubah!: ProdukChangeDto[];

  @ApiProperty({ example: ['PULSA5'], description: 'Our codes the price list no longer has: not buyable until it lists them again' })
  tidak_ada_di_supplier!: string[];

  @ApiProperty({ example: 1250, description: 'Price-list entries no product has as its kode' })
  tidak_dipakai!: number;
}
