import { Controller, Get, Inject, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiResponse, ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { appConfig, AppConfig } from '../config/app.config';
import { Public } from '../common/auth.decorators';
import { databaseUnavailable } from '../common/errors';
import { errorBody } from '../common/http-error.filter';
import type { FastifyReply } from 'fastify';
import { withTimeout } from '../common/timeout';

const PING_TIMEOUT_MS = 2_000;

class HealthResponseDto {
  @ApiProperty({ example: 'ok' })
  status!: 'ok';

  @ApiProperty({ example: 'up' })
  db!: 'up';
}

class HealthDownDto {
  @ApiProperty({ example: 503 })
  statusCode!: number;

  @ApiProperty({ example: 'DATABASE_UNAVAILABLE' })
  code!: string;

  @ApiProperty({ example: 'Database tidak dapat dihubungi, coba lagi nanti' })
  detail!: string;

  @ApiProperty({ example: 'error' })
  status!: 'error';

  @ApiProperty({ example: 'down' })
  db!: 'down';
}

@ApiTags('health')
@Controller('health')
export class HealthController {
  /** Inside the request deadline, so /health itself says "database down" rather than timing out. */
  private readonly pingTimeoutMs: number;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(appConfig.KEY) config: AppConfig,
  ) {
    this.pingTimeoutMs = Math.min(PING_TIMEOUT_MS, Math.floor(config.requestTimeoutMs / 2));
  }

  @Public()
  @Get()
  @ApiOperation({ summary: 'Liveness and database reachability (no API key needed)' })
  @ApiOkResponse({ type: HealthResponseDto })
  @ApiResponse({
    status: 503,
    description: 'The database did not answer: `DATABASE_UNAVAILABLE`',
    type: HealthDownDto,
    examples: { DATABASE_UNAVAILABLE: { summary: 'The database did not answer', value: { ...errorBody(databaseUnavailable()), status: 'error', db: 'down' } } },
  })
  async check(@Res({ passthrough: true }) reply: FastifyReply): Promise<HealthResponseDto | HealthDownDto> {
    try {
      await withTimeout(this.dataSource.query('SELECT 1'), this.pingTimeoutMs, () => new Error('ping timed out'));
    } catch {
      // The usual error body (statusCode, code, detail) plus the same two fields as the 200, so
      // a load balancer or a person reading it sees which part is down.
      const body = errorBody(databaseUnavailable());
      void reply.status(body.statusCode);
      return { ...body, status: 'error', db: 'down' };
    }
    return { status: 'ok', db: 'up' };
  }
}
