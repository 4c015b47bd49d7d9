import { Body, Controller, Get, Put, Req } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors, ApiKeyAuth, BODY_ERRORS } from '../common/api-docs.decorators';
import { invalidField } from '../common/errors';
import { AuthenticatedRequest, AuthUser, CurrentUser } from '../common/auth.decorators';
import { Deadline, RequestDeadline } from '../http/request-deadline';
import { KeamananDto, KeamananResponseDto } from './keamanan.dto';
import { UsersService } from './users.service';

@ApiTags('users')
@ApiKeyAuth()
@Controller('keamanan')
export class KeamananController {
  constructor(private readonly users: UsersService) {}

  @Get()
  @ApiOperation({ summary: 'Your request-signing and IP allow-list settings' })
  @ApiOkResponse({ type: KeamananResponseDto })
  get(@CurrentUser() user: AuthUser): KeamananResponseDto {
    return this.users.securitySettings(user);
  }

  @Put()
  @ApiOperation({ summary: 'Require signed requests and/or limit the addresses that may use your key' })
  @ApiOkResponse({ type: KeamananResponseDto })
  @ApiErrors(invalidField('ip_allowlist', 'must include the address of this request'), ...BODY_ERRORS)
  put(@CurrentUser() user: AuthUser, @Body() dto: KeamananDto, @Req() request: AuthenticatedRequest, @Deadline() deadline?: RequestDeadline): Promise<KeamananResponseDto> {
    return this.users.updateSecurity(user, dto, request.ip, deadline);
  }
}
