/**
 * Where the tests find a MySQL/MariaDB server they may create databases on. Override with
 * MYSQL_TEST_URL (no database name: each test run creates and drops its own).
 */
export const MYSQL_TEST_URL = process.env.MYSQL_TEST_URL ?? 'mysql://root@127.0.0.1:3306';

/** Every database the tests create starts with this; the helpers refuse to drop any other. */
export const TEST_DB_PREFIX = 'ppob_test_';
