import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiKeyAuth } from '../common/api-docs.decorators';
import { ProdukQueryDto, ProdukResponseDto } from './produk.dto';
import { ProdukService } from './produk.service';

@ApiTags('produk')
@Controller('produk')
export class ProdukController {
  constructor(private readonly produk: ProdukService) {}

  @Get()
  @ApiKeyAuth()
  @ApiOperation({ summary: 'Products that can be bought now, with price (harga) and face value (nominal); filter by kategori and brand' })
  @ApiOkResponse({ type: [ProdukResponseDto] })
  list(@Query() query: ProdukQueryDto): Promise<ProdukResponseDto[]> {
    return this.produk.listActive(query);
  }
}
