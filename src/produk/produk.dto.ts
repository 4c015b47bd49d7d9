import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';

export class ProdukQueryDto {
  // No example: Swagger UI's "Try it out" would fill it in and filter the list.
  @ApiPropertyOptional({ description: 'Only this category (case-insensitive), e.g. pulsa' })
  @IsOptional()
  @MaxLength(50)
  @IsString()
  kategori?: string;

  @ApiPropertyOptional({ description: 'Only this brand (case-insensitive), e.g. TELKOMSEL' })
  @IsOptional()
  @MaxLength(50)
  @IsString()
  brand?: string;
}

export class ProdukResponseDto {
  @ApiProperty({ example: 1 })
  id!: number;

  @ApiProperty({ example: 'PULSA10', nullable: true, type: String, description: "The product code (the supplier's buyer_sku_code)" })
  kode!: string | null;

  @ApiProperty({ example: 'Pulsa 10k' })
  nama!: string;

  @ApiProperty({ example: 'pulsa' })
  kategori!: string;

  @ApiProperty({ example: 'TELKOMSEL', description: 'Empty until the price-list sync names it' })
  brand!: string;

  @ApiProperty({ example: 12000, description: 'Price charged, in rupiah' })
  harga!: number;

  @ApiProperty({ example: 10000, description: 'Face value, in rupiah' })
  nominal!: number;

  @ApiProperty({ example: 'Pulsa reguler Rp10.000 semua operator' })
  deskripsi!: string;
}
