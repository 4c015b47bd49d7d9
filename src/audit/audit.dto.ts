import { ApiProperty } from '@nestjs/swagger';

export class AuditResponseDto {
  @ApiProperty({ example: 7 })
  id!: number;

  @ApiProperty({ example: '3f9c0a1b', description: 'Which operator key: the first 8 hex characters of its SHA-256' })
  admin_id!: string;

  @ApiProperty({ example: 'deposit.konfirmasi' })
  aksi!: string;

  @ApiProperty({ example: 'deposit:12' })
  objek!: string;

  @ApiProperty({ example: { status: 'pending', saldo: 0 }, nullable: true, type: Object })
  sebelum!: object | null;

  @ApiProperty({ example: { status: 'sukses', saldo: 100123 }, nullable: true, type: Object })
  sesudah!: object | null;

  @ApiProperty({ example: '2026-11-30T03:15:00.000Z' })
  waktu!: string;
}
