import { isConnectionError, isDuplicateKey, isRetryableTransactionError } from './database-errors';

/** What TypeORM throws: a QueryFailedError-like wrapper with the driver's error under driverError. */
function wrapped(driverError: Record<string, unknown>, message = 'query failed'): Error {
  return Object.assign(new Error(message), { driverError });
}

function mysqlError(code: string, errno: number, message = code): Error {
  return Object.assign(new Error(message), { code, errno });
}

describe('isDuplicateKey', () => {
  it('recognises mysql2 ER_DUP_ENTRY wrapped by TypeORM', () => {
    expect(isDuplicateKey(wrapped({ code: 'ER_DUP_ENTRY', errno: 1062 }))).toBe(true);
  });

  it('recognises errno 1062 alone', () => {
    expect(isDuplicateKey(wrapped({ errno: 1062 }))).toBe(true);
  });

  it('recognises an unwrapped mysql2 error', () => {
    expect(isDuplicateKey(mysqlError('ER_DUP_ENTRY', 1062))).toBe(true);
  });

  it('recognises a SQLite unique constraint', () => {
    expect(isDuplicateKey(wrapped({ code: 'SQLITE_CONSTRAINT_UNIQUE' }))).toBe(true);
  });

  it('recognises a SQLite primary key constraint', () => {
    expect(isDuplicateKey(wrapped({ code: 'SQLITE_CONSTRAINT_PRIMARYKEY' }))).toBe(true);
  });

  it.each([
    ['a foreign key failure', wrapped({ code: 'ER_NO_REFERENCED_ROW_2', errno: 1452 })],
    ['a SQLite foreign key failure', wrapped({ code: 'SQLITE_CONSTRAINT_FOREIGNKEY' })],
    ['a deadlock', wrapped({ code: 'ER_LOCK_DEADLOCK', errno: 1213 })],
    ['a plain Error', new Error('Duplicate entry')],
    ['undefined', undefined],
    ['null', null],
  ])('is false for %s', (_label, err) => {
    expect(isDuplicateKey(err)).toBe(false);
  });
});

describe('isRetryableTransactionError', () => {
  it.each([
    ['an InnoDB deadlock (1213)', wrapped({ code: 'ER_LOCK_DEADLOCK', errno: 1213 })],
    ['a lock-wait timeout (1205)', wrapped({ code: 'ER_LOCK_WAIT_TIMEOUT', errno: 1205 })],
    ['errno 1213 without a code', wrapped({ errno: 1213 })],
    ['errno 1205 without a code', wrapped({ errno: 1205 })],
    ['ER_LOCK_DEADLOCK without an errno', wrapped({ code: 'ER_LOCK_DEADLOCK' })],
    ['an unwrapped deadlock', mysqlError('ER_LOCK_DEADLOCK', 1213)],
    ['SQLITE_BUSY', wrapped({ code: 'SQLITE_BUSY' })],
  ])('retries %s', (_label, err) => {
    expect(isRetryableTransactionError(err)).toBe(true);
  });

  it.each([
    ['a duplicate key (1062)', wrapped({ code: 'ER_DUP_ENTRY', errno: 1062 })],
    ['a syntax error', wrapped({ code: 'ER_PARSE_ERROR', errno: 1064 })],
    ['a lost connection', wrapped({ code: 'PROTOCOL_CONNECTION_LOST' })],
    ['a plain Error', new Error('Deadlock found when trying to get lock')],
    ['undefined', undefined],
  ])('does not retry %s', (_label, err) => {
    expect(isRetryableTransactionError(err)).toBe(false);
  });
});

describe('isConnectionError', () => {
  it.each(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'PROTOCOL_CONNECTION_LOST', 'ER_CON_COUNT_ERROR', 'POOL_CLOSED', 'SQLITE_CANTOPEN'])(
    'recognises %s on the error itself',
    (code) => {
      expect(isConnectionError(Object.assign(new Error(code), { code }))).toBe(true);
    },
  );

  it('recognises a connection code under driverError', () => {
    expect(isConnectionError(wrapped({ code: 'PROTOCOL_CONNECTION_LOST' }))).toBe(true);
  });

  it('recognises a connection code on the wrapper when the driver error has another code', () => {
    const err = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED', driverError: { code: 'SOMETHING' } });
    expect(isConnectionError(err)).toBe(true);
  });

  it.each([
    'connect ETIMEDOUT',
    'Connection lost: The server closed the connection.',
    'Pool is closed.',
    "Can't add new command when connection is in closed state",
    'Too many connections',
  ])('recognises the message "%s"', (message) => {
    expect(isConnectionError(new Error(message))).toBe(true);
  });

  it.each([
    ['a duplicate key', wrapped({ code: 'ER_DUP_ENTRY', errno: 1062 })],
    ['a deadlock', wrapped({ code: 'ER_LOCK_DEADLOCK', errno: 1213 })],
    ['a plain Error', new Error('boom')],
    ['undefined', undefined],
    ['null', null],
  ])('is false for %s', (_label, err) => {
    expect(isConnectionError(err)).toBe(false);
  });
});
