import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { withTimeout } from '../common/timeout';
import { appConfig, AppConfig } from '../config/app.config';
import { MetricsService } from '../metrics/metrics.service';

const PING_TIMEOUT_MS = 2_000;
/** wsrep_local_state 4: the node is in sync and takes writes. 1 joining, 2 donor, 3 joined. */
const WSREP_SYNCED = 4;

/** Why the database cannot take this instance's writes; null when it can. */
export type NodeNotReadyReason = 'unreachable' | 'wsrep_not_ready' | 'wsrep_not_primary' | 'wsrep_not_synced';

/** What a Galera node says about itself (SHOW GLOBAL STATUS). */
export interface WsrepStatus {
  ready: boolean;
  /** The cluster component this node is in has quorum. */
  primary: boolean;
  localState: number;
  localStateComment: string;
}

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
    const rows: Array<{ Variable_name: string; Value: string }> = await this.dataSource.query(
      "SHOW GLOBAL STATUS WHERE Variable_name IN ('wsrep_ready', 'wsrep_cluster_status', 'wsrep_local_state', 'wsrep_local_state_comment')",
    );
    const value = (name: string) => rows.find((row) => row.Variable_name.toLowerCase() === name)?.Value ?? '';
    const wsrep: WsrepStatus = {
      ready: value('wsrep_ready').toUpperCase() === 'ON',
      primary: value('wsrep_cluster_status') === 'Primary',
      localState: Number(value('wsrep_local_state')) || 0,
      localStateComment: value('wsrep_local_state_comment'),
    };
    return { ready: wsrepReason(wsrep) === null, reason: wsrepReason(wsrep), wsrep };
  }
}

export function wsrepReason(wsrep: WsrepStatus): NodeNotReadyReason | null {
  if (!wsrep.primary) return 'wsrep_not_primary';
  if (!wsrep.ready) return 'wsrep_not_ready';
  if (wsrep.localState !== WSREP_SYNCED) return 'wsrep_not_synced';
  return null;
}
