import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiQuery, ApiTags } from '@nestjs/swagger';
import { ApiKeyAuth, BODY_ERRORS } from '../common/api-docs.decorators';
import { DomainError } from '../common/domain-error';
import { bodyNotObject, invalidField } from '../common/errors';
import { AuthUser, CurrentUser } from '../common/auth.decorators';
import { MAX_PAGE_SIZE } from '../common/page-query.dto';
import { ParseIdPipe } from '../common/validation';
import { Deadline, RequestDeadline } from '../http/request-deadline';
import { callbackHostTimeout, callbackUrlInvalid } from '../callback/callback-errors';
import { BeliDto, BeliResponseDto, RiwayatQueryDto, TransaksiResponseDto } from './transaksi.dto';
import { TransaksiService } from './transaksi.service';

@ApiTags('transaksi')
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
  @ApiKeyAuth(
    invalidField('nomor_tujuan', 'nomor_tujuan must be 6-20 digits'),
    invalidField('produk_id', 'produk_id is required'),
    bodyNotObject(),
    new DomainError('INSUFFICIENT_SALDO', 'Saldo tidak cukup: harga Pulsa 10k Rp12000'),
    new DomainError('REF_ID_CONFLICT', 'ref_id INV-2026-0001 sudah dipakai untuk transaksi lain (id 17)'),
    ...BODY_ERRORS,
    new DomainError('PRODUK_NOT_FOUND', 'Produk 99 tidak ditemukan atau tidak aktif'),
    new DomainError('NOMINAL_MISMATCH', 'Nominal 20000 tidak sesuai dengan produk Pulsa 10k (10000)'),
    callbackUrlInvalid('url resolves to a private address (10.0.0.5); only public addresses are allowed'),
    callbackHostTimeout('hooks.example.com', 2500),
  )
  beli(@CurrentUser() user: AuthUser, @Body() dto: BeliDto, @Deadline() deadline?: RequestDeadline): Promise<BeliResponseDto> {
    return this.transaksi.beli(user, dto, deadline);
  }

  @Get('status/:trx_id')
  @ApiOperation({ summary: 'One of your transaksi' })
  @ApiParam({ name: 'trx_id', type: Number, example: 17 })
  @ApiOkResponse({ type: TransaksiResponseDto })
  @ApiKeyAuth(invalidField('trx_id', 'trx_id must be a positive integer'), new DomainError('TRANSAKSI_NOT_FOUND', 'Transaksi 999999 tidak ditemukan'))
  status(@CurrentUser() user: AuthUser, @Param('trx_id', ParseIdPipe) trxId: number): Promise<TransaksiResponseDto> {
    return this.transaksi.getForUser(user.id, trxId);
  }

  @Get('riwayat')
  @ApiOperation({ summary: 'Your transaksi, newest first: `limit` per page (1-100, default 100)' })
  // The page DTO documents GET /mutasi's default (20); /riwayat keeps the original's 100.
  @ApiQuery({ name: 'limit', required: false, schema: { type: 'integer', minimum: 1, maximum: MAX_PAGE_SIZE, default: MAX_PAGE_SIZE, example: MAX_PAGE_SIZE } })
  @ApiOkResponse({ type: [TransaksiResponseDto] })
  @ApiKeyAuth(invalidField('limit', 'limit must not be greater than 100'), invalidField('status', 'status must be one of the following values: pending, proses, sukses, gagal'))
  riwayat(@CurrentUser() user: AuthUser, @Query() query: RiwayatQueryDto): Promise<TransaksiResponseDto[]> {
    // Without a limit, the original service's answer: up to 100 (GET /mutasi, which it did not
    // have, pages by 20).
    return this.transaksi.listForUser(user.id, query.limit ?? MAX_PAGE_SIZE, query.before_id, query.status);
  }
}
