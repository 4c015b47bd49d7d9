import type { ValueTransformer } from 'typeorm';

/**
 * BIGINT money and ids come back from mysql2 as strings (TypeORM turns on bigNumberStrings);
 * rupiah amounts stay far below 2^53, so they are plain numbers in the domain and in JSON.
 */
export const bigintNumber: ValueTransformer = {
  to: (value: number | null | undefined) => value,
  from: (value: string | number | null) => (value === null || value === undefined ? value : Number(value)),
};
