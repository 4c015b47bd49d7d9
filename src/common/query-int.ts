import { Transform } from 'class-transformer';

/**
 * Query strings arrive as text. Digits become a number; anything else stays a string so that
 * @IsInt rejects it with a 400 instead of it turning into NaN or 0.
 */
export const QueryInt = () =>
  Transform(({ value }: { value: unknown }) => (typeof value === 'string' && /^\d{1,15}$/.test(value) ? Number(value) : value));
