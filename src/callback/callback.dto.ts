import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, IsString, MaxLength, Min } from 'class-validator';
import { PageQueryDto } from '../common/page-query.dto';
import { QueryInt } from '../common/query-int';
import { CALLBACK_URL_MAX_LENGTH } from './callback-url';
import { CALLBACK_EVENT_STATUSES, CallbackEventStatus } from './callback.repository';

export class SetCallbackDto {
  @ApiProperty({ example: 'https://reseller.example/ppob/callback', description: 'http(s) URL on a public address; no user:password' })
  @MaxLength(CALLBACK_URL_MAX_LENGTH)
  @IsString()
  url!: string;
}

export class CallbackSecretResponseDto {
  @ApiProperty({ example: 'https://reseller.example/ppob/callback' })
  url!: string;

  @ApiProperty({
    example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    description: 'Signing secret (Standard Webhooks), shown only now. The previous secret keeps signing for 24 h.',
  })
  secret!: string;

  @ApiProperty({ example: '2026-11-28T07:15:10.123Z', nullable: true, type: String, description: 'Until when the previous secret also signs' })
  previous_secret_valid_until!: string | null;
}

export class CallbackResponseDto {
  @ApiProperty({ example: 'https://reseller.example/ppob/callback' })
  url!: string;
}

export class DeliveryAttemptDto {
  @ApiProperty({ example: 1 })
  attempt!: number;

  @ApiProperty({ example: 200, nullable: true, type: Number, description: 'null when no HTTP answer came (refused, timeout, network error)' })
  status_code!: number | null;

  @ApiProperty({ example: 42 })
  duration_ms!: number;

  @ApiProperty({ example: 'ok', nullable: true, type: String, description: 'The first 4 KiB of the answer, trimmed' })
  response_body!: string | null;

  @ApiProperty({ example: null, nullable: true, type: String })
  error!: string | null;

  @ApiProperty({ example: '2026-11-27T07:15:12.456Z' })
  waktu!: string;
}

export class DeliveryResponseDto {
  @ApiProperty({ example: 3 })
  id!: number;

  @ApiProperty({ example: 'msg_2b7Wq0w8Tq6k1n5oZ8rQ4d3e', description: 'The webhook-id header, the same on every attempt' })
  webhook_id!: string;

  @ApiProperty({ example: 'transaksi.sukses' })
  type!: string;

  @ApiProperty({ example: 17, nullable: true, type: Number })
  transaksi_id!: number | null;

  @ApiProperty({ example: 'https://reseller.example/ppob/callback' })
  url!: string;

  @ApiProperty({ example: 'sukses', enum: CALLBACK_EVENT_STATUSES })
  status!: CallbackEventStatus;

  @ApiProperty({ example: 1 })
  attempts!: number;

  @ApiProperty({ example: '2026-11-27T07:15:12.456Z', description: 'When the next attempt is due (for pending)' })
  next_attempt_at!: string;

  @ApiProperty({ type: [DeliveryAttemptDto] })
  attempt_log!: DeliveryAttemptDto[];
}

export class DeliveriesQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ example: 17 })
  @IsOptional()
  @QueryInt()
  @Min(1)
  @IsInt({ message: 'transaksi_id must be a positive integer' })
  transaksi_id?: number;

  @ApiPropertyOptional({ enum: CALLBACK_EVENT_STATUSES })
  @IsOptional()
  @IsIn(CALLBACK_EVENT_STATUSES)
  status?: CallbackEventStatus;
}
