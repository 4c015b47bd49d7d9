import { Controller, Get, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Public } from '../common/auth.decorators';
import { databaseNotReady, databaseUnavailable } from '../common/errors';
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

  @ApiProperty({ example: 'Database tidak dapat dihubungi, coba lagi nanti' })
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

/**
 * The usual error body (statusCode, code, detail) plus the same two fields as the 200, so a load
 * balancer or a person reading it sees which part is down, and why.
 */
function downBody(reason: NodeNotReadyReason): HealthDownDto {
  const error = reason === 'unreachable' ? databaseUnavailable() : databaseNotReady();
  return { ...errorBody(error), status: 'error', db: 'down', reason };
}

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(private readonly node: DatabaseNodeService) {}

  @Public()
  @Get()
  @ApiOperation({ summary: 'Liveness and whether the database takes writes (no API key needed)' })
  @ApiOkResponse({ type: HealthResponseDto })
  @ApiResponse({
    status: 503,
    description: 'The database did not answer, or (Galera) the node is not ready for writes: `DATABASE_UNAVAILABLE`',
    type: HealthDownDto,
    examples: {
      unreachable: { summary: 'The database did not answer', value: downBody('unreachable') },
      wsrep_not_primary: { summary: 'A Galera node outside the primary component', value: downBody('wsrep_not_primary') },
    },
  })
  async check(@Res({ passthrough: true }) reply: FastifyReply): Promise<HealthResponseDto | HealthDownDto> {
    const node = await this.node.check();
    if (node.ready) return { status: 'ok', db: 'up' };
    const body = downBody(node.reason!);
    void reply.status(body.statusCode);
    return body;
  }
}
