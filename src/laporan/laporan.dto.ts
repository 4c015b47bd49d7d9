import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Matches } from 'class-validator';

export class LaporanQueryDto {
  @ApiPropertyOptional({ example: '2026-11-30', description: 'Business day (YYYY-MM-DD) in TZ_LAPORAN; default today' })
  @IsOptional()
  @Matches(/^\d{4}-\d{2}-\d{2}$/, { message: 'tanggal must be a date YYYY-MM-DD' })
  @IsString()
  tanggal?: string;
}

export class JumlahTotalDto {
  @ApiProperty({ example: 120, description: 'How many' })
  jumlah!: number;

  @ApiProperty({ example: 1440000, description: 'Sum, rupiah' })
  total!: number;
}

export class PembelianDto {
  @ApiProperty({ type: JumlahTotalDto }) pending!: JumlahTotalDto;
  @ApiProperty({ type: JumlahTotalDto }) proses!: JumlahTotalDto;
  @ApiProperty({ type: JumlahTotalDto }) sukses!: JumlahTotalDto;
  @ApiProperty({ type: JumlahTotalDto }) gagal!: JumlahTotalDto;
  @ApiProperty({ type: JumlahTotalDto, description: 'All purchases made that day' }) semua!: JumlahTotalDto;
}

export class KoreksiFiguresDto extends JumlahTotalDto {
  @ApiProperty({ example: 10000, description: 'Sum of the positive adjustments' })
  kredit!: number;

  @ApiProperty({ example: -5000, description: 'Sum of the negative adjustments' })
  debit!: number;
}

export class LedgerSelisihDto {
  @ApiProperty({ example: 7 }) user_id!: number;
  @ApiProperty({ example: 88000 }) saldo!: number;
  @ApiProperty({ example: 87000, description: 'Sum of all the reseller’s ledger rows' }) jumlah_mutasi!: number;
  @ApiProperty({ example: 88000, nullable: true, type: Number, description: 'saldo_akhir of the latest ledger row' }) saldo_akhir_terakhir!: number | null;
}

export class LedgerCheckDto {
  @ApiProperty({ example: true, description: 'For every reseller: saldo = latest saldo_akhir = sum of ledger rows' })
  ok!: boolean;

  @ApiProperty({ example: 250 })
  reseller_diperiksa!: number;

  @ApiProperty({ type: [LedgerSelisihDto], description: 'Resellers where it does not hold (empty when ok)' })
  selisih!: LedgerSelisihDto[];
}

export class LaporanResponseDto {
  @ApiProperty({ example: '2026-11-30' }) tanggal!: string;
  @ApiProperty({ example: 'Asia/Jakarta' }) zona!: string;
  @ApiProperty({ example: '2026-11-29T17:00:00.000Z' }) dari!: string;
  @ApiProperty({ example: '2026-11-30T17:00:00.000Z', description: 'Exclusive' }) sampai!: string;
  @ApiProperty({ type: PembelianDto, description: 'Purchases made that day, by their status now' }) pembelian!: PembelianDto;
  @ApiProperty({ type: JumlahTotalDto, description: 'Refund ledger rows written that day' }) refund!: JumlahTotalDto;
  @ApiProperty({ type: JumlahTotalDto, description: 'Confirmed deposits (ledger rows) that day' }) deposit!: JumlahTotalDto;
  @ApiProperty({ type: KoreksiFiguresDto, description: 'Operator adjustments that day' }) koreksi!: KoreksiFiguresDto;
  @ApiProperty({ example: 240000, description: 'harga minus nominal over that day’s sukses purchases' }) margin!: number;
  @ApiProperty({ type: LedgerCheckDto }) ledger!: LedgerCheckDto;
}
