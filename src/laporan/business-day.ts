/**
 * Business days in a named time zone (Asia/Jakarta by default: TZ_LAPORAN). A day is the
 * half-open UTC interval [local midnight, next local midnight), found through Intl, so a zone
 * with daylight saving gets its 23- and 25-hour days right.
 */

const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

/** true for a real calendar date written YYYY-MM-DD. */
export function isCalendarDate(value: string): boolean {
  const match = DATE_PATTERN.exec(value);
  if (!match) return false;
  const [y, m, d] = match.slice(1).map(Number);
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

/** The calendar date (YYYY-MM-DD) that `now` falls on in `timeZone`. */
export function dateIn(timeZone: string, now: Date): string {
  const p = parts(timeZone, now);
  return `${p.year}-${pad(p.month)}-${pad(p.day)}`;
}

/** [start, end) in UTC of the day `tanggal` (YYYY-MM-DD) in `timeZone`. */
export function dayRange(tanggal: string, timeZone: string): { start: Date; end: Date } {
  const [y, m, d] = tanggal.split('-').map(Number);
  return { start: localMidnight(y, m, d, timeZone), end: localMidnight(y, m, d + 1, timeZone) };
}

function localMidnight(y: number, m: number, d: number, timeZone: string): Date {
  const wall = Date.UTC(y, m - 1, d);
  // The offset at the guess can differ from the offset at the answer when a transition falls in
  // between; one refinement settles it (transitions are hours apart, not minutes).
  let utc = wall - offsetMs(timeZone, new Date(wall));
  utc = wall - offsetMs(timeZone, new Date(utc));
  return new Date(utc);
}

/** How far `timeZone`'s wall clock is ahead of UTC at `at`. */
function offsetMs(timeZone: string, at: Date): number {
  const p = parts(timeZone, at);
  const wall = Date.UTC(p.year, p.month - 1, p.day, p.hour % 24, p.minute, p.second);
  return wall - Math.floor(at.getTime() / 1000) * 1000;
}

function parts(timeZone: string, at: Date): Record<'year' | 'month' | 'day' | 'hour' | 'minute' | 'second', number> {
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
  const out = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0 };
  for (const part of format.formatToParts(at)) {
    if (part.type in out) out[part.type as keyof typeof out] = Number(part.value);
  }
  return out;
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}
