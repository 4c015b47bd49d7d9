import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsNotEmpty, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { PageQueryDto } from '../common/page-query.dto';
import { Trim } from '../common/validation';
import { DEPOSIT_STATUSES, DepositStatus } from './deposit.entity';

/** Far above any real deposit; the configured DEPOSIT_MIN/DEPOSIT_MAX are checked by the service. */
const MAX_RUPIAH = 1_000_000_000_000;

export class CreateDepositDto {
  @ApiProperty({ example: 100000, description: 'Rupiah to deposit, from DEPOSIT_MIN to DEPOSIT_MAX' })
  @Max(MAX_RUPIAH)
  @Min(1)
  @IsInt({ message: 'jumlah must be a whole number of rupiah' })
  jumlah!: number;

  @ApiProperty({ example: 'BCA', description: 'One of the banks in DEPOSIT_BANKS' })
  @Trim()
  @MaxLength(20)
  @IsNotEmpty()
  @IsString()
  bank!: string;
}

export class DepositResponseDto {
  @ApiProperty({ example: 12 })
  id!: number;

  @ApiProperty({ example: 100000 })
  jumlah!: number;

  @ApiProperty({ example: 100123, description: 'Transfer exactly this amount: the unique last digits identify the ticket' })
  jumlah_transfer!: number;

  @ApiProperty({ example: 'BCA' })
  bank!: string;

  @ApiProperty({ example: '1234567890' })
  rekening!: string;

  @ApiProperty({ example: 'PT Contoh' })
  atas_nama!: string;

  @ApiProperty({ example: 'DEP7K2Q9XW', description: 'Write this in the transfer note' })
  berita!: string;

  @ApiProperty({ example: 'pending', enum: DEPOSIT_STATUSES })
  status!: DepositStatus;

  @ApiProperty({ example: '2026-12-01T03:15:00.000Z', description: 'After this the ticket cannot be confirmed' })
  kedaluwarsa!: string;
}

export class AdminDepositResponseDto extends DepositResponseDto {
  @ApiProperty({ example: 7 })
  user_id!: number;

  @ApiProperty({ example: '2026-11-30T03:15:00.000Z' })
  waktu!: string;

  @ApiProperty({ example: '3f9c0a1b', nullable: true, type: String, description: 'Operator key that confirmed or rejected it' })
  diproses_oleh!: string | null;
}

export class DepositKonfirmasiResponseDto extends AdminDepositResponseDto {
  @ApiProperty({ example: 100123, description: "The reseller's saldo after the credit" })
  saldo!: number;
}

export class DepositQueryDto extends PageQueryDto {}

export class AdminDepositQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: DEPOSIT_STATUSES, example: 'pending' })
  @IsOptional()
  @IsIn(DEPOSIT_STATUSES, { message: `status must be one of ${DEPOSIT_STATUSES.join(', ')}` })
  status?: DepositStatus;
}
