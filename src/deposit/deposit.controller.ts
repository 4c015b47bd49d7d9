import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiKeyAuth, BODY_ERRORS } from '../common/api-docs.decorators';
import { DomainError } from '../common/domain-error';
import { bodyNotObject, invalidField } from '../common/errors';
import { AuthUser, CurrentUser } from '../common/auth.decorators';
import { DEFAULT_PAGE_SIZE } from '../common/page-query.dto';
import { Deadline, RequestDeadline } from '../http/request-deadline';
import { CreateDepositDto, DepositQueryDto, DepositResponseDto } from './deposit.dto';
import { DepositService } from './deposit.service';

@ApiTags('deposit')
@Controller('deposit')
export class DepositController {
  constructor(private readonly deposits: DepositService) {}

  @Post()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Open a deposit ticket',
    description:
      'Answers the account to transfer to and `jumlah_transfer`: jumlah plus 1-999 unique rupiah. Transfer exactly that amount before `kedaluwarsa`; an operator confirms it and the amount is credited to your saldo (ledger row `deposit`).',
  })
  @ApiOkResponse({ type: DepositResponseDto })
  @ApiKeyAuth(
    invalidField('jumlah', 'jumlah must be from 10000 to 100000000'),
    new DomainError('DEPOSIT_BANK_UNKNOWN', 'Bank XYZ tidak dikenal; pilih salah satu: BCA, MANDIRI'),
    bodyNotObject(),
    new DomainError('DEPOSIT_TOO_MANY_OPEN', 'Sudah ada 3 tiket deposit terbuka (batas 3); transfer atau tunggu yang lama kedaluwarsa'),
    new DomainError('DEPOSIT_NO_FREE_CODE', 'Semua kode unik untuk jumlah 100000 sedang dipakai; coba jumlah lain'),
    ...BODY_ERRORS,
  )
  create(@CurrentUser() user: AuthUser, @Body() dto: CreateDepositDto, @Deadline() deadline?: RequestDeadline): Promise<DepositResponseDto> {
    return this.deposits.create(user, dto, deadline);
  }

  @Get()
  @ApiOperation({ summary: 'Your deposit tickets, newest first (paged like /riwayat)' })
  @ApiOkResponse({ type: [DepositResponseDto] })
  @ApiKeyAuth(invalidField('limit', 'limit must not be greater than 100'))
  list(@CurrentUser() user: AuthUser, @Query() query: DepositQueryDto): Promise<DepositResponseDto[]> {
    return this.deposits.listForUser(user.id, query.limit ?? DEFAULT_PAGE_SIZE, query.before_id);
  }
}
