import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ApiErrors } from '../common/api-docs.decorators';
import { Public } from '../common/auth.decorators';
import { DomainError } from '../common/domain-error';
import { withTimeout } from '../common/timeout';

const PING_TIMEOUT_MS = 2_000;

class HealthResponseDto {
  @ApiProperty({ example: 'ok' })
  status!: 'ok';

  @ApiProperty({ example: 'up' })
  db!: 'up';
}

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  @Public()
  @Get()
  @ApiOperation({ summary: 'Liveness and database reachability (no API key needed)' })
  @ApiOkResponse({ type: HealthResponseDto })
  @ApiErrors(503)
  async check(): Promise<HealthResponseDto> {
    try {
      await withTimeout(this.dataSource.query('SELECT 1'), PING_TIMEOUT_MS, () => new Error('ping timed out'));
    } catch {
      throw new DomainError('DATABASE_UNAVAILABLE', 'Database tidak dapat dihubungi');
    }
    return { status: 'ok', db: 'up' };
  }
}
