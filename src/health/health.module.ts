import { Module } from '@nestjs/common';
import { DatabaseNodeService } from './database-node.service';
import { HealthController } from './health.controller';

@Module({ controllers: [HealthController], providers: [DatabaseNodeService] })
export class HealthModule {}
