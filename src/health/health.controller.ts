import { Controller, Get, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Public } from '../common/auth.decorators';
import { DomainError } from '../common/domain-error';
import { errorBody } from '../common/http-error.filter';
import type { FastifyReply } from 'fastify';
import { DatabaseNodeService, NodeNotReadyReason } from './database-node.service';

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

  @ApiProperty({ example: 'Database tidak dapat dihubungi' })
  detail!: string;

  @ApiProperty({ example: 'error' })
  status!: 'error';

  @ApiProperty({ example: 'down' })
  db!: 'down';

  @ApiProperty({
    example: 'wsrep_not_primary',
    enum: ['unreachable', 'wsrep_not_primary', 'wsrep_not_ready', 'wsrep_not_synced'],
    description: 'unreachable, or (on a Galera node) why the node does not take writes',
  })
  reason!: NodeNotReadyReason;
}

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(private readonly node: DatabaseNodeService) {}

  @Public()
  @Get()
  @ApiOperation({ summary: 'Liveness and whether the database takes writes (no API key needed)' })
  @ApiOkResponse({ type: HealthResponseDto })
  @ApiResponse({ status: 503, description: 'The database did not answer, or (Galera) the node is not ready for writes', type: HealthDownDto })
  async check(@Res({ passthrough: true }) reply: FastifyReply): Promise<HealthResponseDto | HealthDownDto> {
    const node = await this.node.check();
    if (node.ready) return { status: 'ok', db: 'up' };
    // The usual error body (statusCode, code, detail) plus the same two fields as the 200, so
    // a load balancer or a person reading it sees which part is down, and why.
    const detail = node.reason === 'unreachable' ? 'Database tidak dapat dihubungi' : 'Database sedang tidak siap menerima transaksi';
    const body = errorBody(new DomainError('DATABASE_UNAVAILABLE', detail));
    void reply.status(body.statusCode);
    return { ...body, status: 'error', db: 'down', reason: node.reason! };
  }
}
