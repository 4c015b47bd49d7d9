import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { IsBoolean, IsInt, IsNotEmpty, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { OptionalField, Trim } from '../common/validation';

const MAX_RUPIAH = 1_000_000_000;

export class CreateProdukDto {
  @ApiProperty({ example: 'Pulsa 25k', maxLength: 100 })
  @Trim()
  @MaxLength(100)
  @IsNotEmpty()
  @IsString()
  nama!: string;

  @ApiProperty({ example: 'PULSA25', description: 'Unique product code, [A-Za-z0-9._-]{1,50}' })
  @Matches(/^[A-Za-z0-9._-]{1,50}$/, { message: 'kode must be 1-50 characters of A-Z a-z 0-9 . _ -' })
  @IsString()
  kode!: string;

  @ApiPropertyOptional({ example: 'pulsa', maxLength: 50, default: 'umum' })
  @OptionalField()
  @Trim()
  @MaxLength(50)
  @IsNotEmpty()
  @IsString()
  kategori?: string;

  @ApiProperty({ example: 27000, description: 'Price charged, rupiah' })
  @Max(MAX_RUPIAH)
  @Min(1)
  @IsInt({ message: 'harga must be a whole number of rupiah' })
  harga!: number;

  @ApiProperty({ example: 25000, description: 'Face value, rupiah' })
  @Max(MAX_RUPIAH)
  @Min(1)
  @IsInt({ message: 'nominal must be a whole number of rupiah' })
  nominal!: number;

  @ApiPropertyOptional({ example: 'Pulsa reguler Rp25.000', maxLength: 255, default: '' })
  @OptionalField()
  @Trim()
  @MaxLength(255)
  @IsString()
  deskripsi?: string;

  @ApiPropertyOptional({ example: true, default: true, description: 'false hides it from /produk and refuses /beli (existing transaksi keep pointing at it)' })
  @OptionalField()
  @IsBoolean({ message: 'aktif must be true or false' })
  aktif?: boolean;

  @ApiPropertyOptional({
    example: false,
    description: 'true: the price-list sync keeps harga; false: it sets harga = harga_modal + DIGIFLAZZ_MARKUP. Default false on create; a PATCH that sets harga makes it true unless given.',
  })
  @OptionalField()
  @IsBoolean({ message: 'harga_manual must be true or false' })
  harga_manual?: boolean;
}

/**
 * Every field optional. PartialType marks them @IsOptional, which lets an explicit null through
 * unvalidated; the service refuses nulls, so a NOT NULL column never sees one.
 */
export class PatchProdukDto extends PartialType(CreateProdukDto) {}

export class AdminProdukResponseDto {
  @ApiProperty({ example: 4 })
  id!: number;

  @ApiProperty({ example: 'Pulsa 25k' })
  nama!: string;

  @ApiProperty({ example: 'PULSA25', nullable: true, type: String })
  kode!: string | null;

  @ApiProperty({ example: 'pulsa' })
  kategori!: string;

  @ApiProperty({ example: 27000 })
  harga!: number;

  @ApiProperty({ example: 25000 })
  nominal!: number;

  @ApiProperty({ example: 'Pulsa reguler Rp25.000' })
  deskripsi!: string;

  @ApiProperty({ example: true })
  aktif!: boolean;

  @ApiProperty({ example: 25150, nullable: true, type: Number, description: "The supplier's price at the last price-list sync (sent as max_price)" })
  harga_modal!: number | null;

  @ApiProperty({ example: false })
  harga_manual!: boolean;

  @ApiProperty({ example: 'TELKOMSEL' })
  brand!: string;

  @ApiProperty({ example: true, description: 'The supplier sold it (both statuses on, stock left) at the last sync' })
  tersedia_supplier!: boolean;

  @ApiProperty({ example: '2026-11-30T03:15:00.000Z' })
  updated_at!: string;
}
