import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import { MYSQL_TEST_URL, TEST_DB_PREFIX } from './mysql-url';

export type Engine = 'mysql' | 'sqlite';

export const MYSQL_AVAILABLE = process.env.PPOB_TEST_MYSQL === '1';
export const ENGINES: Engine[] = ['mysql', 'sqlite'];

/** `describe` for an engine, or `describe.skip` when that engine cannot run here (reported by global-setup). */
export function describeFor(engine: Engine): jest.Describe {
  return engine === 'mysql' && !MYSQL_AVAILABLE ? describe.skip : describe;
}

export interface TestDatabase {
  engine: Engine;
  /** DATABASE_URL for the app. */
  url: string;
  drop(): Promise<void>;
}

/** A fresh, empty database for one spec file: a new MySQL schema, or a new SQLite file. */
export async function createTestDatabase(engine: Engine): Promise<TestDatabase> {
  if (engine === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'ppob-test-'));
    return {
      engine,
      url: `sqlite:${join(dir, 'ppob.sqlite')}`,
      drop: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const name = `${TEST_DB_PREFIX}${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  await adminQuery(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  const url = new URL(MYSQL_TEST_URL);
  url.pathname = `/${name}`;
  return {
    engine,
    url: url.toString(),
    drop: async () => {
      // Never drop a database these helpers did not create.
      if (!name.startsWith(TEST_DB_PREFIX)) throw new Error(`refusing to drop ${name}`);
      await adminQuery(`DROP DATABASE IF EXISTS \`${name}\``);
    },
  };
}

async function adminQuery(sql: string): Promise<void> {
  const connection = await createConnection({ uri: MYSQL_TEST_URL, connectTimeout: 5_000 });
  try {
    await connection.query(sql);
  } finally {
    await connection.end();
  }
}
