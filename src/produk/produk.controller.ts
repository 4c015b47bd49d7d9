import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiKeyAuth } from '../common/api-docs.decorators';
import { ProdukResponseDto } from './produk.dto';
import { ProdukService } from './produk.service';

@ApiTags('produk')
@Controller('produk')
export class ProdukController {
  constructor(private readonly produk: ProdukService) {}

  @Get()
  @ApiKeyAuth()
  @ApiOperation({ summary: 'Active products with price (harga) and face value (nominal)' })
  @ApiOkResponse({ type: [ProdukResponseDto] })
  list(): Promise<ProdukResponseDto[]> {
    return this.produk.listActive();
  }
}
