import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsISO8601, IsNotEmpty, IsOptional, IsString, Matches, MaxLength, Min, ValidateIf } from 'class-validator';
import { PageQueryDto } from '../common/page-query.dto';
import { QueryInt } from '../common/query-int';
import { TransaksiResponseDto } from '../transaksi/transaksi.dto';
import { TRANSAKSI_STATUSES, TransaksiStatus } from '../transaksi/transaksi.entity';

/**
 * A date alone, or a time with its zone. A time without one (2026-11-30T00:00:00) would be read
 * in the server process's time zone (JavaScript's Date), so the same query would select different
 * purchases on a server running with TZ=Asia/Jakarta than on one in UTC.
 */
const ZONED_INSTANT = /^\d{4}(-\d{2}(-\d{2})?)?$|(Z|[+-]\d{2}(:?\d{2})?)$/;
const zoneMessage = (field: string) => `${field} needs a time zone when it has a time: end it with Z or an offset such as +07:00`;

export class AdminTransaksiQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: TRANSAKSI_STATUSES, example: 'proses' })
  @IsOptional()
  @IsIn(TRANSAKSI_STATUSES, { message: `status must be one of ${TRANSAKSI_STATUSES.join(', ')}` })
  status?: TransaksiStatus;

  @ApiPropertyOptional({ example: true, description: 'Only purchases the processor could not settle and that wait for an operator (settle them with POST /admin/transaksi/{id}/selesaikan)' })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsIn([true, false], { message: 'perlu_operator must be true or false' })
  perlu_operator?: boolean;

  @ApiPropertyOptional({ example: 7 })
  @IsOptional()
  @QueryInt()
  @Min(1)
  @IsInt({ message: 'user_id must be a positive integer' })
  user_id?: number;

  @ApiPropertyOptional({ example: 1 })
  @IsOptional()
  @QueryInt()
  @Min(1)
  @IsInt({ message: 'produk_id must be a positive integer' })
  produk_id?: number;

  @ApiPropertyOptional({ example: 'INV-2026-0001' })
  @IsOptional()
  @Matches(/^[A-Za-z0-9._-]{1,64}$/, { message: 'ref_id must be 1-64 characters of A-Z a-z 0-9 . _ -' })
  @IsString()
  ref_id?: string;

  @ApiPropertyOptional({ example: '087800000001' })
  @IsOptional()
  @Matches(/^[0-9]{6,20}$/, { message: 'nomor_tujuan must be 6-20 digits' })
  @IsString()
  nomor_tujuan?: string;

  @ApiPropertyOptional({ example: '2026-11-30T00:00:00+07:00', description: 'waktu at or after this instant (ISO-8601)' })
  @IsOptional()
  @Matches(ZONED_INSTANT, { message: zoneMessage('from') })
  @IsISO8601({ strict: true }, { message: 'from must be an ISO-8601 date or time' })
  from?: string;

  @ApiPropertyOptional({ example: '2026-12-01T00:00:00+07:00', description: 'waktu before this instant (ISO-8601)' })
  @IsOptional()
  @Matches(ZONED_INSTANT, { message: zoneMessage('to') })
  @IsISO8601({ strict: true }, { message: 'to must be an ISO-8601 date or time' })
  to?: string;
}

export class AdminTransaksiResponseDto extends TransaksiResponseDto {
  @ApiProperty({ example: 7 })
  user_id!: number;

  @ApiProperty({ example: true, description: 'The processor gave up (upstream outcome unknown): an operator must settle it' })
  perlu_operator!: boolean;

  @ApiProperty({ example: 3, description: 'How many times a processor claimed it' })
  attempts!: number;

  @ApiProperty({ example: '00', nullable: true, type: String, description: "The supplier's last rc for it" })
  upstream_rc!: string | null;

  @ApiProperty({ example: 'Transaksi Sukses', nullable: true, type: String, description: "The supplier's last message for it" })
  upstream_pesan!: string | null;
}

export class SelesaikanDto {
  @ApiProperty({ enum: ['sukses', 'gagal'], example: 'sukses', description: 'gagal refunds the harga once' })
  @IsIn(['sukses', 'gagal'], { message: 'status must be sukses or gagal' })
  status!: 'sukses' | 'gagal';

  @ApiPropertyOptional({ example: '0123456789012345', description: "The upstream's serial number; required for sukses, refused for gagal" })
  @ValidateIf((dto: SelesaikanDto) => dto.status === 'sukses' || dto.sn !== undefined)
  @Matches(/^[A-Za-z0-9./ -]{1,100}$/, { message: 'sn must be 1-100 characters of A-Z a-z 0-9 . / - and space (required for sukses, not allowed for gagal)' })
  @IsNotEmpty({ message: 'sn is required for sukses' })
  @IsString({ message: 'sn must be a string' })
  sn?: string;

  @ApiPropertyOptional({ example: 'Dicek di dasbor supplier 30/11', maxLength: 200 })
  @IsOptional()
  @MaxLength(200)
  @IsString()
  keterangan?: string;
}
