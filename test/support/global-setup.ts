import { createConnection } from 'mysql2/promise';
import { MYSQL_TEST_URL } from './mysql-url';

/**
 * Decides once per run whether the MySQL/MariaDB specs can run. Without a server they are
 * skipped with a loud warning; with REQUIRE_MYSQL=1 (set by .ci/run) a missing server fails
 * the run instead.
 */
export default async function globalSetup(): Promise<void> {
  try {
    const connection = await createConnection({ uri: MYSQL_TEST_URL, connectTimeout: 3_000 });
    const [rows] = await connection.query('SELECT VERSION() AS v');
    await connection.end();
    process.env.PPOB_TEST_MYSQL = '1';
    process.stdout.write(`\n[ppob tests] MySQL/MariaDB ${(rows as Array<{ v: string }>)[0].v} at ${redact(MYSQL_TEST_URL)}\n`);
  } catch (err) {
    if (process.env.REQUIRE_MYSQL === '1') {
      throw new Error(`REQUIRE_MYSQL=1 but no MySQL/MariaDB answers at ${redact(MYSQL_TEST_URL)}: ${(err as Error).message}`);
    }
    process.env.PPOB_TEST_MYSQL = '0';
    const bar = '!'.repeat(78);
    process.stdout.write(
      `\n${bar}\n[ppob tests] NO MySQL/MariaDB at ${redact(MYSQL_TEST_URL)} (${(err as Error).message}).\n` +
        `[ppob tests] The MySQL specs are SKIPPED; only SQLite is tested. Set MYSQL_TEST_URL, or REQUIRE_MYSQL=1 to fail instead.\n${bar}\n`,
    );
  }
}

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}
