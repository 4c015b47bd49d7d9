import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { ApiErrors, ApiKeyAuth } from '../common/api-docs.decorators';
import { AuthUser, CurrentUser } from '../common/auth.decorators';
import { DEFAULT_PAGE_SIZE } from '../common/page-query.dto';
import { ParseIdPipe } from '../common/validation';
import { Deadline, RequestDeadline } from '../http/request-deadline';
import { BeliDto, BeliResponseDto, RiwayatQueryDto, TransaksiResponseDto } from './transaksi.dto';
import { TransaksiService } from './transaksi.service';

@ApiTags('transaksi')
@ApiKeyAuth()
@Controller()
export class TransaksiController {
  constructor(private readonly transaksi: TransaksiService) {}

  @Post('beli')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Buy a product; answers `pending` at once, the processor finishes it',
    description:
      'Debits harga at once. Poll GET /status/{id} for sukses or gagal (gagal refunds). Sandbox numbers: 087800000001 always sukses, 087800000002 always gagal, 087800000003 upstream error until retries run out.',
  })
  @ApiOkResponse({ type: BeliResponseDto })
  @ApiErrors(400, 402, 409, 413, 415, 422)
  beli(@CurrentUser() user: AuthUser, @Body() dto: BeliDto, @Deadline() deadline?: RequestDeadline): Promise<BeliResponseDto> {
    return this.transaksi.beli(user, dto, deadline);
  }

  @Get('status/:trx_id')
  @ApiOperation({ summary: 'One of your transaksi' })
  @ApiParam({ name: 'trx_id', type: Number, example: 17 })
  @ApiOkResponse({ type: TransaksiResponseDto })
  @ApiErrors(400, 404)
  status(@CurrentUser() user: AuthUser, @Param('trx_id', ParseIdPipe) trxId: number): Promise<TransaksiResponseDto> {
    return this.transaksi.getForUser(user.id, trxId);
  }

  @Get('riwayat')
  @ApiOperation({ summary: 'Your transaksi, newest first, at most 100 per page' })
  @ApiOkResponse({ type: [TransaksiResponseDto] })
  @ApiErrors(400)
  riwayat(@CurrentUser() user: AuthUser, @Query() query: RiwayatQueryDto): Promise<TransaksiResponseDto[]> {
    return this.transaksi.listForUser(user.id, query.limit ?? DEFAULT_PAGE_SIZE, query.before_id, query.status);
  }
}
