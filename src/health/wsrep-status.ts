/**
 * What a Galera node says about itself, and whether that means it takes writes. Shared by the
 * app's /health (database-node.service.ts) and the proxy's check agent (wsrep-check.ts), so the
 * proxy and the service never disagree about a node.
 */
export interface WsrepStatus {
  ready: boolean;
  /** The cluster component this node is in has quorum (wsrep_cluster_status = Primary). */
  primary: boolean;
  /** 1 Joining, 2 Donor/Desynced, 3 Joined, 4 Synced. */
  localState: number;
  localStateComment: string;
}

/** Why a node does not take writes. */
export type WsrepNotReadyReason = 'wsrep_not_primary' | 'wsrep_not_ready' | 'wsrep_not_synced';

/** One cheap statement; it answers on a node without quorum too (SHOW needs no wsrep). */
export const WSREP_STATUS_SQL =
  "SHOW GLOBAL STATUS WHERE Variable_name IN ('wsrep_ready', 'wsrep_cluster_status', 'wsrep_local_state', 'wsrep_local_state_comment')";

/** wsrep_local_state 4: in sync. A donor (2) is excluded too: an rsync SST blocks its writes. */
const WSREP_SYNCED = 4;

export function parseWsrepStatus(rows: Array<{ Variable_name: string; Value: string }>): WsrepStatus {
  const value = (name: string) => rows.find((row) => row.Variable_name.toLowerCase() === name)?.Value ?? '';
  return {
    ready: value('wsrep_ready').toUpperCase() === 'ON',
    primary: value('wsrep_cluster_status') === 'Primary',
    localState: Number(value('wsrep_local_state')) || 0,
    localStateComment: value('wsrep_local_state_comment'),
  };
}

export function wsrepReason(wsrep: WsrepStatus): WsrepNotReadyReason | null {
  if (!wsrep.primary) return 'wsrep_not_primary';
  if (!wsrep.ready) return 'wsrep_not_ready';
  if (wsrep.localState !== WSREP_SYNCED) return 'wsrep_not_synced';
  return null;
}
