import type { Logger as Pino } from 'pino';
import type { Logger as TypeOrmLogger } from 'typeorm';

/**
 * TypeORM's messages through pino. Query parameters are never logged (they include API key
 * hashes); a slow query is logged by its SQL text, which only has placeholders.
 */
export class PinoTypeOrmLogger implements TypeOrmLogger {
  private readonly pino: Pino;

  constructor(root: Pino) {
    this.pino = root.child({ context: 'TypeORM' });
  }

  logQuery(): void {
    // Every query would be far too much; slow ones are logged below.
  }

  logQueryError(): void {
    // Failed queries surface as errors to their caller, which decides what to log.
  }

  logQuerySlow(time: number, query: string): void {
    this.pino.warn({ ms: time, query: query.replace(/\s+/g, ' ').slice(0, 500) }, 'slow query');
  }

  logSchemaBuild(message: string): void {
    this.pino.debug(message);
  }

  logMigration(message: string): void {
    this.pino.info(message);
  }

  log(level: 'log' | 'info' | 'warn', message: unknown): void {
    this.pino[level === 'warn' ? 'warn' : 'info'](String(message));
  }
}
