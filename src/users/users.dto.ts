import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { OptionalField } from '../common/validation';
import { Transform } from 'class-transformer';
import { PageQueryDto } from '../common/page-query.dto';
import { IsEmail, IsInt, IsNotEmpty, IsString, Matches, Max, MaxLength, Min } from 'class-validator';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

/** 20 characters at most, the width of users.hp. */
const HP_PATTERN = /^(?:\+[0-9]{6,19}|[0-9]{6,20})$/;
export const HP_MESSAGE = 'hp must be 6-20 digits, or + and 6-19 digits (20 characters at most)';

/**
 * The one email rule, the same on every engine: trimmed, Unicode NFC (a decomposed "é" is the
 * precomposed one) and lower-cased. Accents count: josé@ and jose@ are two addresses.
 */
const normaliseEmail = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim().normalize('NFC').toLowerCase() : value);

export class RegisterDto {
  @ApiProperty({ example: 'Toko Pulsa Maju', maxLength: 100 })
  @Transform(trim)
  @MaxLength(100)
  @IsNotEmpty()
  @IsString()
  nama!: string;

  @ApiProperty({
    example: 'maju@example.com',
    maxLength: 191,
    description: 'Unique. Compared after lower-casing and Unicode NFC normalisation; accents count (josé@ and jose@ are two accounts).',
  })
  @Transform(normaliseEmail)
  @IsEmail({}, { message: 'email must be a valid email address' })
  @MaxLength(191)
  @IsString()
  email!: string;

  @ApiPropertyOptional({
    example: '081234567890',
    description: 'Phone number: 6-20 digits, or + and 6-19 digits (20 characters at most). Empty or null means no phone.',
    nullable: true,
    maxLength: 20,
  })
  // The original service's clients send "" or null for "no phone".
  @Transform(({ value }) => (value === '' || value === null ? undefined : value))
  @OptionalField()
  // The column is VARCHAR(20): a longer value would pass here and fail in MySQL (SQLite would keep it).
  @Matches(HP_PATTERN, { message: HP_MESSAGE })
  @IsString()
  hp?: string;

  @ApiPropertyOptional({
    example: 100000,
    description: 'Starting saldo in rupiah. Demo convenience: refused when ALLOW_REGISTER_SALDO is off (the default in production).',
  })
  @OptionalField()
  @Max(1_000_000_000_000)
  @Min(0)
  @IsInt()
  saldo?: number;
}

export class KeysResponseDto {
  @ApiProperty({ example: '9f2c...e1', description: '64 hex characters; send it as x-api-key. Shown only in this response.' })
  api_key!: string;

  @ApiProperty({ example: '4b7a...0c', description: '64 hex characters. Shown only in this response; only its hash is stored.' })
  private_key!: string;

  @ApiProperty({ example: 'Simpan api_key dan private_key Anda: keduanya tidak akan ditampilkan lagi' })
  info!: string;
}

export class SaldoResponseDto {
  @ApiProperty({ example: 88000, description: 'Current balance in rupiah' })
  saldo!: number;
}

/** GET /mutasi takes the common page parameters. */
export class MutasiQueryDto extends PageQueryDto {}

export class MutasiResponseDto {
  @ApiProperty({ example: 42 })
  id!: number;

  @ApiProperty({ example: 17, nullable: true, type: Number })
  transaksi_id!: number | null;

  @ApiProperty({ example: 'debit', enum: ['saldo_awal', 'debit', 'refund', 'deposit', 'koreksi'] })
  jenis!: string;

  @ApiProperty({ example: -12000, description: 'Signed amount in rupiah: negative for a debit' })
  jumlah!: number;

  @ApiProperty({ example: 88000, description: 'Balance right after this change' })
  saldo_akhir!: number;

  @ApiProperty({ example: 'Pembelian Pulsa 10k ke 087800000001' })
  keterangan!: string;

  @ApiProperty({ example: '2026-11-27T07:15:10.123Z' })
  waktu!: string;
}
