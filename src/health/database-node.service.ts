import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { withTimeout } from '../common/timeout';
import { appConfig, AppConfig } from '../config/app.config';
import { MetricsService } from '../metrics/metrics.service';
import { parseWsrepStatus, WSREP_STATUS_SQL, WsrepNotReadyReason, wsrepReason, WsrepStatus } from './wsrep-status';

const PING_TIMEOUT_MS = 2_000;
/** Why the database cannot take this instance's writes; null when it can. */
export type NodeNotReadyReason = 'unreachable' | WsrepNotReadyReason;

export interface NodeCheck {
  ready: boolean;
  reason: NodeNotReadyReason | null;
  /** Only where the server is a Galera node; null on a single server and on SQLite. */
  wsrep: WsrepStatus | null;
}

/**
 * Is the database node behind this instance's pool ready for writes? On a single MySQL/MariaDB
 * server or SQLite that is "does SELECT 1 answer". On a Galera node SELECT 1 still answers after
 * the node lost quorum, while every write is refused with 1047 (issue 15), so there the node's own
 * wsrep status decides. Whether the server is a Galera node is asked once (a server does not
 * become one while it runs); until an answer arrives, every check asks again.
 */
@Injectable()
export class DatabaseNodeService implements OnModuleInit {
  private readonly timeoutMs: number;
  /** null: not known yet. */
  private galera: boolean | null;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly metrics: MetricsService,
    @Inject(appConfig.KEY) config: AppConfig,
  ) {
    // Inside the request deadline, so /health says "down" rather than timing out.
    this.timeoutMs = Math.min(PING_TIMEOUT_MS, Math.floor(config.requestTimeoutMs / 2));
    this.galera = dataSource.options.type === 'mysql' ? null : false;
  }

  onModuleInit(): void {
    this.metrics.setNodeSampler(() => this.check());
  }

  async check(): Promise<NodeCheck> {
    try {
      return await withTimeout(this.probe(), this.timeoutMs, () => new Error('database check timed out'));
    } catch {
      return { ready: false, reason: 'unreachable', wsrep: null };
    }
  }

  private async probe(): Promise<NodeCheck> {
    if (this.galera === null) {
      // MySQL has no wsrep_on and answers no row; a MariaDB built with wsrep but not in a cluster says OFF.
      const rows: Array<{ Value: string }> = await this.dataSource.query("SHOW GLOBAL VARIABLES LIKE 'wsrep_on'");
      this.galera = String(rows[0]?.Value ?? '').toUpperCase() === 'ON';
    }
    if (!this.galera) {
      await this.dataSource.query('SELECT 1');
      return { ready: true, reason: null, wsrep: null };
    }
    const wsrep = parseWsrepStatus(await this.dataSource.query(WSREP_STATUS_SQL));
    const reason = wsrepReason(wsrep);
    return { ready: reason === null, reason, wsrep };
  }
}
