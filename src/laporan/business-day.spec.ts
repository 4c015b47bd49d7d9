import { dateIn, dayRange, isCalendarDate } from './business-day';

describe('business days', () => {
  it('makes an Asia/Jakarta day run from 17:00 UTC the evening before', () => {
    const { start, end } = dayRange('2026-11-30', 'Asia/Jakarta');
    expect(start.toISOString()).toBe('2026-11-29T17:00:00.000Z');
    expect(end.toISOString()).toBe('2026-11-30T17:00:00.000Z');
  });

  it('crosses month and year ends', () => {
    expect(dayRange('2026-12-31', 'Asia/Jakarta').end.toISOString()).toBe('2026-12-31T17:00:00.000Z');
    expect(dayRange('2027-01-01', 'UTC')).toEqual({ start: new Date('2027-01-01T00:00:00Z'), end: new Date('2027-01-02T00:00:00Z') });
  });

  it('gives a zone with daylight saving its 23-hour day', () => {
    const { start, end } = dayRange('2026-03-29', 'Europe/Berlin');
    expect(start.toISOString()).toBe('2026-03-28T23:00:00.000Z');
    expect(end.toISOString()).toBe('2026-03-29T22:00:00.000Z');
  });

  it('names the Jakarta date of an instant: 18:00 UTC is already the next day there', () => {
    expect(dateIn('Asia/Jakarta', new Date('2026-11-30T18:00:00Z'))).toBe('2026-12-01');
    expect(dateIn('Asia/Jakarta', new Date('2026-11-30T16:59:59Z'))).toBe('2026-11-30');
  });

  it('accepts only real calendar dates', () => {
    expect(isCalendarDate('2026-11-30')).toBe(true);
    expect(isCalendarDate('2028-02-29')).toBe(true);
    for (const bad of ['2026-02-29', '2026-13-01', '2026-11-31', '26-11-30', '2026-11-30T00:00', '']) expect(isCalendarDate(bad)).toBe(false);
  });
});
