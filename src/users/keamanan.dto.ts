import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsBoolean, ValidateBy } from 'class-validator';
import { OptionalField } from '../common/validation';
import { isIpOrCidr } from '../config/app.config';

export const MAX_ALLOWLIST = 50;

const IsIpOrCidr = () =>
  ValidateBy(
    { name: 'isIpOrCidr', validator: { validate: (v: unknown) => typeof v === 'string' && isIpOrCidr(v), defaultMessage: () => 'each ip_allowlist entry must be an IP address or CIDR, e.g. 203.0.113.7 or 198.51.100.0/24' } },
    { each: true },
  );

export class KeamananDto {
  @ApiPropertyOptional({ example: true, description: 'Refuse requests without x-timestamp / x-nonce / x-signature (401)' })
  @OptionalField()
  @IsBoolean()
  wajib_signature?: boolean;

  @ApiPropertyOptional({ example: ['203.0.113.7', '198.51.100.0/24'], description: `Only these addresses may use the API key (403 otherwise); [] = any. At most ${MAX_ALLOWLIST}.` })
  @OptionalField()
  @IsIpOrCidr()
  @ArrayMaxSize(MAX_ALLOWLIST)
  @IsArray()
  ip_allowlist?: string[];
}

export class KeamananResponseDto {
  @ApiProperty({ example: true })
  wajib_signature!: boolean;

  @ApiProperty({ example: ['203.0.113.7', '198.51.100.0/24'] })
  ip_allowlist!: string[];

  @ApiProperty({ example: true, description: 'false for a private key from before signed requests: POST /generate-key gives one that can sign' })
  private_key_can_sign!: boolean;
}
