import { ApiProperty } from '@nestjs/swagger';

export class ProdukResponseDto {
  @ApiProperty({ example: 1 })
  id!: number;

  @ApiProperty({ example: 'Pulsa 10k' })
  nama!: string;

  @ApiProperty({ example: 12000, description: 'Price charged, in rupiah' })
  harga!: number;

  @ApiProperty({ example: 10000, description: 'Face value, in rupiah' })
  nominal!: number;

  @ApiProperty({ example: 'Pulsa reguler Rp10.000 semua operator' })
  deskripsi!: string;
}
