import type { Dialect } from './transaction-runner';

/**
 * UTC DATETIME literal ('2026-11-27 07:15:10.123') for raw SQL parameters. better-sqlite3
 * cannot bind a Date, and on MySQL/MariaDB a DATETIME string is taken as written, so the same
 * value works on both engines whatever the server's time zone.
 */
export function sqlDateTime(date: Date): string {
  return date.toISOString().replace('T', ' ').replace('Z', '');
}

/** The database's clock in SQL, per dialect (lease and retry times are computed inside statements). */
export interface DialectSql {
  /** The database's current UTC time, as a DATETIME(3) value comparable with stored ones. */
  now: string;
  /** now + the bound parameter `interval(ms)`. */
  nowPlus: string;
  interval(ms: number): number | string;
}

export const DIALECT_SQL: Record<Dialect, DialectSql> = {
  // UTC_TIMESTAMP, not NOW(): stored times are UTC whatever the session's time zone.
  mysql: { now: 'UTC_TIMESTAMP(3)', nowPlus: 'UTC_TIMESTAMP(3) + INTERVAL ? MICROSECOND', interval: (ms) => Math.round(ms) * 1000 },
  // The same text form sqlDateTime() stores ('2026-11-27 07:15:10.123'), so text comparison is time order.
  sqlite: {
    now: "strftime('%Y-%m-%d %H:%M:%f', 'now')",
    nowPlus: "strftime('%Y-%m-%d %H:%M:%f', 'now', ?)",
    interval: (ms) => `+${(Math.round(ms) / 1000).toFixed(3)} seconds`,
  },
};

