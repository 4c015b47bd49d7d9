/**
 * Classifies driver errors. mysql2 puts `code`/`errno` on the error; TypeORM wraps it in
 * QueryFailedError with the original under `driverError`. better-sqlite3 uses SQLITE_* codes.
 */
interface DriverErrorLike {
  code?: string;
  errno?: number;
  driverError?: DriverErrorLike;
  message?: string;
}

function driverError(err: unknown): DriverErrorLike {
  const e = (err ?? {}) as DriverErrorLike;
  return e.driverError ?? e;
}

export function isDuplicateKey(err: unknown): boolean {
  const e = driverError(err);
  return e.code === 'ER_DUP_ENTRY' || e.errno === 1062 || e.code === 'SQLITE_CONSTRAINT_UNIQUE' || e.code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/** InnoDB deadlock (1213) and lock-wait timeout (1205), SQLite busy: worth retrying the whole transaction. */
export function isRetryableTransactionError(err: unknown): boolean {
  const e = driverError(err);
  return (
    e.errno === 1213 ||
    e.errno === 1205 ||
    e.code === 'ER_LOCK_DEADLOCK' ||
    e.code === 'ER_LOCK_WAIT_TIMEOUT' ||
    e.code === 'SQLITE_BUSY'
  );
}

export function isDeadlock(err: unknown): boolean {
  const e = driverError(err);
  return e.errno === 1213 || e.code === 'ER_LOCK_DEADLOCK';
}

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EPIPE',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_CON_COUNT_ERROR',
  'ER_SERVER_SHUTDOWN',
  'ER_SERVER_GONE_ERROR',
  'POOL_CLOSED',
  'SQLITE_CANTOPEN',
]);

/** The database could not be reached: the API answers 503, not 500. */
export function isConnectionError(err: unknown): boolean {
  const e = driverError(err);
  if (e.code && CONNECTION_CODES.has(e.code)) return true;
  const top = (err ?? {}) as DriverErrorLike;
  if (top.code && CONNECTION_CODES.has(top.code)) return true;
  const message = `${top.message ?? ''} ${e.message ?? ''}`;
  return /connect ETIMEDOUT|Connection lost|Pool is closed|Can't add new command when connection is in closed state|Too many connections/i.test(message);
}

/**
 * Errors of a cluster node that is up but may not take this statement now: a Galera node without
 * quorum or still joining (1047 "WSREP has not yet prepared node for application use"), a
 * read-only node (1290, 1836: an InnoDB Cluster secondary, a node being switched over), a
 * group-replication member outside the primary partition (3100), a COMMIT the node could not
 * replicate because it just lost the primary component (1180 "Error while appending streaming
 * replication fragment (provider status: Not connected to Primary Component)"; the transaction
 * is rolled back), and statements or connections ended by a node shutting down (1317, 1927).
 * The proxy moves new connections to a ready node, so the client's retry works: 503, never 500
 * (issue 15). 503 means "not done, or not known to be done": /beli is repeated with its ref_id.
 */
const NODE_NOT_READY_ERRNOS = new Set([1047, 1180, 1290, 1317, 1836, 1927, 3100]);

export function isNodeNotReady(err: unknown): boolean {
  const e = driverError(err);
  return e.errno !== undefined && NODE_NOT_READY_ERRNOS.has(e.errno);
}
