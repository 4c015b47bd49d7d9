import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { OptionalField } from '../common/validation';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { CALLBACK_URL_MAX_LENGTH } from '../callback/callback-url';
import { PageQueryDto } from '../common/page-query.dto';
import { TRANSAKSI_STATUSES, TransaksiStatus } from './transaksi.entity';

export const REF_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

export class BeliDto {
  @ApiProperty({ example: 1, description: 'Product id from GET /produk' })
  @Max(2_147_483_647)
  @Min(1)
  @IsInt()
  produk_id!: number;

  @ApiProperty({ example: '087800000001', description: 'Destination phone or PLN meter number: 6-20 digits' })
  @Matches(/^[0-9]{6,20}$/, { message: 'nomor_tujuan must be 6-20 digits' })
  @IsString()
  nomor_tujuan!: string;

  @ApiPropertyOptional({ example: 10000, description: "Face value; when given it must equal the product's nominal" })
  @OptionalField()
  @Max(1_000_000_000_000)
  @Min(1)
  @IsInt()
  nominal?: number;

  @ApiPropertyOptional({
    example: 'INV-2026-0001',
    description: 'Your reference, unique per user. Sending it again with the same body returns the same transaksi and charges nothing.',
  })
  @OptionalField()
  @Matches(REF_ID_PATTERN, { message: 'ref_id must be 1-64 characters of A-Z a-z 0-9 . _ -' })
  @IsString()
  ref_id?: string;

  @ApiPropertyOptional({
    example: 'https://reseller.example/ppob/callback',
    description: "Where this purchase's final status is sent, instead of the endpoint set with PUT /callback (same rules; signed with your callback secret)",
  })
  @OptionalField()
  @MaxLength(CALLBACK_URL_MAX_LENGTH)
  @IsString()
  callback_url?: string;
}

export class BeliResponseDto {
  @ApiProperty({ example: 17 })
  id!: number;

  @ApiProperty({ example: 'pending', enum: TRANSAKSI_STATUSES })
  status!: TransaksiStatus;

  @ApiProperty({ example: 'INV-2026-0001' })
  ref_id!: string;

  @ApiProperty({ example: 12000, description: 'Price charged' })
  harga!: number;

  @ApiProperty({ example: 88000, description: 'Saldo after the debit' })
  saldo!: number;
}

export class TransaksiResponseDto {
  @ApiProperty({ example: 17 })
  id!: number;

  @ApiProperty({ example: 'INV-2026-0001' })
  ref_id!: string;

  @ApiProperty({ example: 1 })
  produk_id!: number;

  @ApiProperty({ example: '087800000001' })
  nomor_tujuan!: string;

  @ApiProperty({ example: 10000 })
  nominal!: number;

  @ApiProperty({ example: 12000 })
  harga!: number;

  @ApiProperty({ example: 'sukses', enum: TRANSAKSI_STATUSES })
  status!: TransaksiStatus;

  @ApiProperty({ example: '2026-11-27T07:15:10.123Z', description: 'When the purchase was accepted (UTC)' })
  waktu!: string;

  @ApiProperty({ example: '2026-11-27T07:15:12.456Z' })
  updated_at!: string;

  @ApiProperty({ example: 'Sukses. SN: 01234567890100000017', nullable: true, type: String })
  hasil_eksekusi!: string | null;

  @ApiProperty({ example: '0123456789012345', nullable: true, type: String, description: "The supplier's serial number / token; only on sukses" })
  sn!: string | null;
}

export class RiwayatQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: TRANSAKSI_STATUSES })
  @IsOptional()
  @IsIn(TRANSAKSI_STATUSES)
  status?: TransaksiStatus;
}
