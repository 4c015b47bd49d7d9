import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors, ApiKeyAuth } from '../common/api-docs.decorators';
import { AuthUser, CurrentUser } from '../common/auth.decorators';
import { DEFAULT_PAGE_SIZE } from '../common/page-query.dto';
import { Deadline, RequestDeadline } from '../http/request-deadline';
import { CreateDepositDto, DepositQueryDto, DepositResponseDto } from './deposit.dto';
import { DepositService } from './deposit.service';

@ApiTags('deposit')
@ApiKeyAuth()
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
  @ApiErrors(400, 409, 413, 415)
  create(@CurrentUser() user: AuthUser, @Body() dto: CreateDepositDto, @Deadline() deadline?: RequestDeadline): Promise<DepositResponseDto> {
    return this.deposits.create(user, dto, deadline);
  }

  @Get()
  @ApiOperation({ summary: 'Your deposit tickets, newest first (paged like /riwayat)' })
  @ApiOkResponse({ type: [DepositResponseDto] })
  @ApiErrors(400)
  list(@CurrentUser() user: AuthUser, @Query() query: DepositQueryDto): Promise<DepositResponseDto[]> {
    return this.deposits.listForUser(user.id, query.limit ?? DEFAULT_PAGE_SIZE, query.before_id);
  }
}
