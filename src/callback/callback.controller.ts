import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { ApiErrors, ApiKeyAuth, BODY_ERRORS } from '../common/api-docs.decorators';
import { invalidField } from '../common/errors';
import { callbackHostTimeout, callbackNotSet, callbackUrlInvalid, deliveryInProgress, deliveryNotFound } from './callback-errors';
import { AuthUser, CurrentUser } from '../common/auth.decorators';
import { DEFAULT_PAGE_SIZE } from '../common/page-query.dto';
import { ParseIdPipe } from '../common/validation';
import { Deadline, RequestDeadline } from '../http/request-deadline';
import { CallbackResponseDto, CallbackSecretResponseDto, DeliveriesQueryDto, DeliveryResponseDto, SetCallbackDto } from './callback.dto';
import { CallbackService } from './callback.service';

@ApiTags('callback')
@ApiKeyAuth()
@Controller('callback')
export class CallbackController {
  constructor(private readonly callbacks: CallbackService) {}

  @Put()
  @ApiOperation({
    summary: 'Set the URL that receives final statuses (Standard Webhooks); answers a new signing secret, shown once',
    description: 'Events: transaksi.sukses, transaksi.gagal. Headers webhook-id, webhook-timestamp, webhook-signature (v1,<base64 HMAC-SHA256>).',
  })
  @ApiOkResponse({ type: CallbackSecretResponseDto })
  @ApiErrors(
    callbackUrlInvalid('url resolves to a loopback address (127.0.0.1); only public addresses are allowed'),
    invalidField('url', 'url must be a string'),
    callbackHostTimeout('hooks.example.com', 2500),
    ...BODY_ERRORS,
  )
  set(@CurrentUser() user: AuthUser, @Body() dto: SetCallbackDto, @Deadline() deadline?: RequestDeadline): Promise<CallbackSecretResponseDto> {
    return this.callbacks.setEndpoint(user, dto.url, deadline);
  }

  @Get()
  @ApiOperation({ summary: 'Your callback URL (never the secret)' })
  @ApiOkResponse({ type: CallbackResponseDto })
  @ApiErrors(callbackNotSet())
  get(@CurrentUser() user: AuthUser): Promise<CallbackResponseDto> {
    return this.callbacks.getEndpoint(user.id);
  }

  @Delete()
  @HttpCode(204)
  @ApiOperation({ summary: 'Stop sending callbacks (events not yet delivered fail: nothing signs them)' })
  @ApiNoContentResponse()
  @ApiErrors(callbackNotSet())
  remove(@CurrentUser() user: AuthUser, @Deadline() deadline?: RequestDeadline): Promise<void> {
    return this.callbacks.deleteEndpoint(user.id, deadline);
  }

  @Post('rotate-secret')
  @HttpCode(200)
  @ApiOperation({ summary: 'New signing secret, shown once; for 24 h both sign (two entries in webhook-signature)' })
  @ApiOkResponse({ type: CallbackSecretResponseDto })
  @ApiErrors(callbackNotSet())
  rotate(@CurrentUser() user: AuthUser, @Deadline() deadline?: RequestDeadline): Promise<CallbackSecretResponseDto> {
    return this.callbacks.rotateSecret(user.id, deadline);
  }

  @Get('deliveries')
  @ApiOperation({ summary: 'Your events with every delivery attempt, newest first' })
  @ApiOkResponse({ type: [DeliveryResponseDto] })
  @ApiErrors(invalidField('status', 'status must be one of the following values: pending, sending, sukses, gagal'))
  deliveries(@CurrentUser() user: AuthUser, @Query() query: DeliveriesQueryDto): Promise<DeliveryResponseDto[]> {
    return this.callbacks.listDeliveries(user.id, query, query.limit ?? DEFAULT_PAGE_SIZE);
  }

  @Post('deliveries/:id/redeliver')
  @HttpCode(202)
  @ApiOperation({ summary: 'Send an event again (a new attempt, same webhook-id)' })
  @ApiParam({ name: 'id', type: Number, example: 3 })
  @ApiErrors(invalidField('id', 'id must be a positive integer'), deliveryNotFound(3), deliveryInProgress(3))
  async redeliver(@CurrentUser() user: AuthUser, @Param('id', ParseIdPipe) id: number, @Deadline() deadline?: RequestDeadline): Promise<{ status: string }> {
    await this.callbacks.redeliver(user.id, id, deadline);
    return { status: 'queued' };
  }
}
