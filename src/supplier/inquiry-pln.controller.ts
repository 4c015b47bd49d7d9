import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { IsString, Matches } from 'class-validator';
import { ApiKeyAuth, BODY_ERRORS } from '../common/api-docs.decorators';
import { invalidField } from '../common/errors';
import { DomainError } from '../common/domain-error';
import { PlnCustomer, PpobProvider, PpobUnavailableError } from '../ppob/ppob.provider';

export class InquiryPlnDto {
  @ApiProperty({ example: '530000000001', description: 'PLN meter number or customer id, 10-13 digits' })
  @Matches(/^\d{10,13}$/, { message: 'nomor_tujuan must be a PLN meter or customer number of 10-13 digits' })
  @IsString({ message: 'nomor_tujuan must be a string' })
  nomor_tujuan!: string;
}

export class InquiryPlnResponseDto {
  @ApiProperty({ example: '530000000001' })
  customer_no!: string;

  @ApiProperty({ example: '45022000001' })
  meter_no!: string;

  @ApiProperty({ example: '530000000001' })
  subscriber_id!: string;

  @ApiProperty({ example: 'BUDI SANTOSO' })
  name!: string;

  @ApiProperty({ example: 'R1 /000001300', description: 'Tariff segment and power class' })
  segment_power!: string;
}

@ApiTags('transaksi')
@Controller()
export class InquiryPlnController {
  constructor(private readonly provider: PpobProvider) {}

  @Post('inquiry-pln')
  @HttpCode(200)
  @ApiOperation({ summary: "The PLN customer's name and power class, to check before buying a token (charges nothing)" })
  @ApiOkResponse({ type: InquiryPlnResponseDto })
  @ApiKeyAuth(
    invalidField('nomor_tujuan', 'nomor_tujuan must be a PLN meter or customer number of 10-13 digits'),
    ...BODY_ERRORS,
    new DomainError('PELANGGAN_PLN_NOT_FOUND', 'Pelanggan PLN 530000000009 tidak ditemukan'),
    new DomainError('SUPPLIER_UNAVAILABLE', 'Provider tidak dapat dihubungi; coba lagi sebentar lagi'),
  )
  async inquiryPln(@Body() dto: InquiryPlnDto): Promise<PlnCustomer> {
    let customer: PlnCustomer | null;
    try {
      customer = await this.provider.inquirePln(dto.nomor_tujuan);
    } catch (err) {
      if (err instanceof PpobUnavailableError) throw new DomainError('SUPPLIER_UNAVAILABLE', 'Provider tidak dapat dihubungi; coba lagi sebentar lagi');
      throw err;
    }
    if (!customer) throw new DomainError('PELANGGAN_PLN_NOT_FOUND', `Pelanggan PLN ${dto.nomor_tujuan} tidak ditemukan`);
    return customer;
  }
}
