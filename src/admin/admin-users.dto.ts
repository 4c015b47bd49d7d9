import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsInt, IsNotEmpty, IsOptional, IsString, Matches, Max, MaxLength, Min, NotEquals, ValidateIf } from 'class-validator';
import { PageQueryDto } from '../common/page-query.dto';
import { Trim } from '../common/validation';


export class AdminUsersQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ example: 'maju', description: 'Part of the email (without case)' })
  @IsOptional()
  @MaxLength(191)
  @IsString()
  email?: string;
}

export class AdminUserResponseDto {
  @ApiProperty({ example: 7 })
  id!: number;

  @ApiProperty({ example: 'Toko Pulsa Maju' })
  nama!: string;

  @ApiProperty({ example: 'maju@example.com' })
  email!: string;

  @ApiProperty({ example: '081234567890', nullable: true, type: String })
  hp!: string | null;

  @ApiProperty({ example: 88000 })
  saldo!: number;

  @ApiProperty({ example: true, description: 'false: suspended, its key is refused with 403 USER_SUSPENDED' })
  aktif!: boolean;

  @ApiProperty({ example: null, nullable: true, type: Number, description: 'Own rate limit per minute (null: RATE_LIMIT_PER_MINUTE; 0: not limited)' })
  rate_limit_per_minute!: number | null;

  @ApiProperty({ example: '2026-11-27T07:15:10.123Z' })
  created_at!: string;
}

export class PatchUserDto {
  @ApiPropertyOptional({ example: false, description: 'false suspends the reseller; true lets it back in' })
  @ValidateIf((dto: PatchUserDto) => dto.aktif !== undefined || dto.rate_limit_per_minute === undefined)
  @IsBoolean({ message: 'aktif must be true or false' })
  aktif?: boolean;

  @ApiPropertyOptional({
    example: 120000,
    nullable: true,
    type: Number,
    description: "This reseller's requests per minute instead of RATE_LIMIT_PER_MINUTE; 0 = not limited, null = back to the default",
  })
  @ValidateIf((dto: PatchUserDto) => dto.rate_limit_per_minute !== undefined && dto.rate_limit_per_minute !== null)
  @Max(10_000_000)
  @Min(0)
  @IsInt({ message: 'rate_limit_per_minute must be a whole number from 0 to 10000000, or null' })
  rate_limit_per_minute?: number | null;
}

export class KoreksiSaldoDto {
  @ApiProperty({ example: -5000, description: 'Signed rupiah: positive credits, negative debits (never below zero)' })
  @NotEquals(0, { message: 'jumlah must not be 0' })
  @Max(1_000_000_000_000)
  @Min(-1_000_000_000_000)
  @IsInt({ message: 'jumlah must be a whole number of rupiah' })
  jumlah!: number;

  @ApiProperty({ example: 'Koreksi transfer ganda 30/11', maxLength: 200 })
  @Trim()
  @MaxLength(200)
  @IsNotEmpty()
  @IsString()
  keterangan!: string;

  @ApiProperty({ example: 'ADJ-1', description: 'Your reference, [A-Za-z0-9._-]{1,64}: repeating it applies the adjustment once' })
  @Matches(/^[A-Za-z0-9._-]{1,64}$/, { message: 'ref must be 1-64 characters of A-Z a-z 0-9 . _ -' })
  @IsString()
  ref!: string;
}

export class KoreksiResponseDto {
  @ApiProperty({ example: 'ADJ-1' })
  ref!: string;

  @ApiProperty({ example: 7 })
  user_id!: number;

  @ApiProperty({ example: -5000 })
  jumlah!: number;

  @ApiProperty({ example: 'Koreksi transfer ganda 30/11' })
  keterangan!: string;

  @ApiProperty({ example: 83000, description: 'Saldo right after this adjustment' })
  saldo_akhir!: number;

  @ApiProperty({ example: false, description: 'true when this ref had been applied before and nothing moved now' })
  diulang!: boolean;
}

