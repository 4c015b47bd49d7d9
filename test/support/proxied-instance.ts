import { DbProxy } from './db-proxy';
import { AppInstance, startInstanceOn } from './factories';
import { createTestDatabase, TestDatabase } from './test-db';

export interface ProxiedInstance {
  db: TestDatabase;
  proxy: DbProxy;
  instance: AppInstance;
  /** Lets bytes through again, then closes the app, the proxy and the database, in that order. */
  close(): Promise<void>;
}

/**
 * A fresh MySQL database, a DbProxy in front of it and an app that reaches the database only
 * through the proxy, for the specs that freeze or cut the connection under a running app.
 */
export async function startBehindProxy(env: Record<string, string>): Promise<ProxiedInstance> {
  const db = await createTestDatabase('mysql');
  const proxy = await DbProxy.inFrontOf(db.url);
  const instance = await startInstanceOn(db, { DATABASE_URL: proxy.route(db.url), DATABASE_CONNECT_TIMEOUT_MS: '1000', ...env });
  return {
    db,
    proxy,
    instance,
    async close() {
      proxy.restore();
      await instance.close();
      await proxy.close();
      await db.drop();
    },
  };
}
