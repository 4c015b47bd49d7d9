/**
 * UTC DATETIME literal ('2026-11-27 07:15:10.123') for raw SQL parameters. better-sqlite3
 * cannot bind a Date, and on MySQL/MariaDB a DATETIME string is taken as written, so the same
 * value works on both engines whatever the server's time zone.
 */
export function sqlDateTime(date: Date): string {
  return date.toISOString().replace('T', ' ').replace('Z', '');
}
