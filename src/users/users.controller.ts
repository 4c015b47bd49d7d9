import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors, ApiKeyAuth, BODY_ERRORS, UNAVAILABLE_ERRORS } from '../common/api-docs.decorators';
import { DomainError } from '../common/domain-error';
import { bodyNotObject, invalidField } from '../common/errors';
import { DEFAULT_PAGE_SIZE } from '../common/page-query.dto';
import { AuthUser, CurrentUser, Public } from '../common/auth.decorators';
import { Deadline, RequestDeadline } from '../http/request-deadline';
import { RegisterRateLimit } from '../rate-limit/rate-limit.guard';
import { HP_MESSAGE, KeysResponseDto, MutasiQueryDto, MutasiResponseDto, RegisterDto, SaldoResponseDto } from './users.dto';
import { UsersService } from './users.service';

@ApiTags('users')
@Controller()
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Public()
  @RegisterRateLimit()
  @Post('register')
  @HttpCode(200)
  @ApiOperation({ summary: 'Register a reseller; returns the API key and private key once' })
  @ApiOkResponse({ type: KeysResponseDto })
  @ApiErrors(
    invalidField('nama', 'nama is required'),
    invalidField('hp', HP_MESSAGE),
    bodyNotObject(),
    new DomainError('SALDO_NOT_ALLOWED', 'Saldo awal tidak diizinkan di server ini; isi saldo lewat deposit'),
    new DomainError('EMAIL_TAKEN', 'User/email sudah terdaftar'),
    ...BODY_ERRORS,
    ...UNAVAILABLE_ERRORS,
  )
  register(@Body() dto: RegisterDto, @Deadline() deadline?: RequestDeadline): Promise<KeysResponseDto> {
    return this.users.register(dto, deadline);
  }

  @Post('generate-key')
  @HttpCode(200)
  @ApiKeyAuth()
  @ApiOperation({ summary: 'Rotate both keys; the old API key stops working at once' })
  @ApiOkResponse({ type: KeysResponseDto })
  generateKey(@CurrentUser() user: AuthUser, @Deadline() deadline?: RequestDeadline): Promise<KeysResponseDto> {
    return this.users.rotateKeys(user, deadline);
  }

  @Get('saldo')
  @ApiKeyAuth()
  @ApiOperation({ summary: 'Current balance' })
  @ApiOkResponse({ type: SaldoResponseDto })
  async saldo(@CurrentUser() user: AuthUser): Promise<SaldoResponseDto> {
    return { saldo: await this.users.getSaldo(user.id) };
  }

  @Get('mutasi')
  @ApiKeyAuth(invalidField('before_id', 'before_id must be a positive integer'), invalidField('limit', 'limit must not be greater than 100'))
  @ApiOperation({ summary: 'Balance ledger, newest first' })
  @ApiOkResponse({ type: [MutasiResponseDto] })
  mutasi(@CurrentUser() user: AuthUser, @Query() query: MutasiQueryDto): Promise<MutasiResponseDto[]> {
    return this.users.listMutasi(user.id, query.limit ?? DEFAULT_PAGE_SIZE, query.before_id);
  }
}
