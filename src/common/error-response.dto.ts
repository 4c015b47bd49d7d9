import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class FieldErrorDto {
  @ApiProperty({ example: 'produk_id' })
  field!: string;

  @ApiProperty({ example: 'produk_id must be an integer number' })
  message!: string;
}

export class ErrorResponseDto {
  @ApiProperty({ example: 409 })
  statusCode!: number;

  @ApiProperty({ example: 'EMAIL_TAKEN', description: 'Stable machine-readable error code' })
  code!: string;

  @ApiProperty({ example: 'User/email sudah terdaftar', description: 'Human-readable message' })
  detail!: string;

  @ApiPropertyOptional({ type: [FieldErrorDto], description: 'Present on validation errors (400)' })
  errors?: FieldErrorDto[];
}
