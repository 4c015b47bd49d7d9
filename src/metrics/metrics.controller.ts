import { createHash, timingSafeEqual } from 'node:crypto';
import { Controller, Get, Headers, Inject, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Public } from '../common/auth.decorators';
import { DomainError } from '../common/domain-error';
import { appConfig, AppConfig } from '../config/app.config';
import { MetricsService } from './metrics.service';

/**
 * Prometheus scrape endpoint. No API key (Prometheus has none); when METRICS_TOKEN is set it
 * wants `Authorization: Bearer <token>`, otherwise keep it off the public internet at the proxy.
 */
@ApiExcludeController()
@Controller('metrics')
export class MetricsController {
  private readonly tokenDigest: Buffer | null;

  constructor(
    private readonly metrics: MetricsService,
    @Inject(appConfig.KEY) config: AppConfig,
  ) {
    this.tokenDigest = config.metricsToken ? sha256(config.metricsToken) : null;
  }

  @Public()
  @Get()
  async scrape(@Headers('authorization') authorization: string | undefined, @Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    if (this.tokenDigest && !this.authorized(authorization)) {
      throw new DomainError('UNAUTHORIZED', 'Metrics memerlukan header Authorization: Bearer <METRICS_TOKEN>');
    }
    void reply.header('content-type', this.metrics.contentType);
    return this.metrics.render();
  }

  private authorized(header: string | undefined): boolean {
    const match = /^Bearer (.+)$/.exec(header ?? '');
    // Digests have equal length, so the comparison is constant-time whatever was sent.
    return match !== null && timingSafeEqual(sha256(match[1]), this.tokenDigest!);
  }
}

function sha256(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
