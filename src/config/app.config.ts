import { createHash, createHmac, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { registerAs } from '@nestjs/config';

export type DatabaseConfig =
  | { type: 'mysql'; url: string; poolSize: number; connectTimeoutMs: number }
  | {
      type: 'sqlite';
      path: string;
      /**
       * better-sqlite3's compiled module to load instead of node_modules' own: that one is built
       * for the Node that ran `npm ci`, and a process on another Node (the test runner's Node 24,
       * the CI smoke on Node 22) needs a build for its own ABI.
       */
      nativeBinding: string | null;
    };

/** Defaults that the examples in /docs quote as well. */
export const DEFAULT_BODY_LIMIT_BYTES = 16 * 1024;
export const DEFAULT_REQUEST_TIMEOUT_MS = 5_000;

export interface AppConfig {
  nodeEnv: 'development' | 'production' | 'test';
  port: number;
  host: string;
  logLevel: 'error' | 'warn' | 'log' | 'debug';
  bodyLimitBytes: number;
  /** An HTTP request not answered within this is answered 503 (the database is stalled or overloaded). */
  requestTimeoutMs: number;
  /** When set, GET /metrics wants `Authorization: Bearer <token>`. */
  metricsToken: string | null;
  /**
   * How long an instance may reuse an API-key lookup / the product list (0 turns the cache off).
   * At most 1 s: a rotated key is refused, and a product change seen, by every instance within it.
   */
  cache: { authTtlMs: number; produkTtlMs: number };
  allowRegisterSaldo: boolean;
  database: DatabaseConfig;
  processor: {
    enabled: boolean;
    intervalMs: number;
    batchSize: number;
    concurrency: number;
    leaseMs: number;
    maxAttempts: number;
    instanceId: string;
    shutdownTimeoutMs: number;
  };
  ppobSim: {
    delayMinMs: number;
    delayMaxMs: number;
    successRate: number;
    /** The simulated upstream keeps running when the processor aborts its call (as an HTTP request already sent would). */
    ignoreAbort: boolean;
  };
  /**
   * Added to this process's wall clock wherever the app reads it (AppClock). Test-only: it lets
   * a spec give two instances clocks that disagree, as two machines' clocks do.
   */
  clockOffsetMs: number;
  /** Operator side (/admin). No keys: the /admin routes answer 404. */
  admin: { keys: AdminKey[] };
  deposit: {
    banks: DepositBank[];
    min: number;
    max: number;
    ttlHours: number;
    /** Open (pending, unexpired) tickets one reseller may hold at a time. */
    maxOpen: number;
  };
  /** IANA time zone of the business day the reports cover. */
  tzLaporan: string;
  /** Who executes purchases: the built-in simulation, or a Digiflazz-compatible supplier. */
  ppobProvider: 'simulated' | 'digiflazz';
  /** Set exactly when ppobProvider is `digiflazz`. */
  digiflazz: DigiflazzConfig | null;
}

export interface DigiflazzConfig {
  url: string;
  username: string;
  /**
   * md5(username + api key + suffix), the supplier's `sign`. The key lives only in this closure:
   * the configuration object (injected everywhere) never holds it, so no log of it can show it.
   */
  sign: (suffix: string) => string;
  /**
   * With DIGIFLAZZ_WEBHOOK_SECRET: the X-Hub-Signature a callback body must carry
   * (`sha1=<hex HMAC-SHA1(secret, raw body)>`). A closure, like `sign`, so the secret is not a value here.
   */
  webhookSignature: ((rawBody: string) => string) | null;
  /** Sends `testing: true` (the supplier's sandbox). */
  testing: boolean;
  /** One HTTP call to the supplier gives up after this (the purchase then stays in progress). */
  timeoutMs: number;
  syncIntervalMs: number;
  /** Selling price = harga_modal + markup: fixed rupiah, or percent (rounded up to a rupiah). */
  markup: { kind: 'fixed' | 'percent'; value: number };
  saldoIntervalMs: number;
  /** A supplier deposit below this logs a warning at every check. */
  saldoWarnBelow: number;
}

/** An operator key as the server keeps it: only its SHA-256, and a short id for the audit log. */
export interface AdminKey {
  id: string;
  hash: Buffer;
}

export interface DepositBank {
  bank: string;
  rekening: string;
  atas_nama: string;
}

/** Shortest operator key accepted: long enough that guessing one is out of the question. */
export const MIN_ADMIN_KEY_LENGTH = 32;

type Env = Record<string, string | undefined>;

/** Thrown at boot when the environment is invalid; main.ts prints its message and exits 1. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration: ${problems.join('; ')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Reads and validates the environment once. Every variable is documented in the README;
 * nothing outside src/config reads process.env.
 */
export function loadConfig(env: Env, cwd = process.cwd()): AppConfig {
  const problems: string[] = [];
  const reader = new EnvReader(env, problems);

  const nodeEnv = reader.oneOf('NODE_ENV', ['development', 'production', 'test'] as const, 'development');
  const database = parseDatabaseUrl(env.DATABASE_URL, cwd, problems, reader);
  const delay = parseDelay(env.PPOB_SIM_DELAY_MS, problems);
  const leaseMs = reader.int('PROCESSOR_LEASE_MS', 30_000, 1_000, 3_600_000);

  const config: AppConfig = {
    nodeEnv,
    port: reader.int('PORT', 8000, 0, 65_535),
    host: reader.string('HOST', '0.0.0.0'),
    logLevel: reader.oneOf('LOG_LEVEL', ['error', 'warn', 'log', 'debug'] as const, 'log'),
    bodyLimitBytes: reader.int('BODY_LIMIT_BYTES', DEFAULT_BODY_LIMIT_BYTES, 1024, 10 * 1024 * 1024),
    requestTimeoutMs: reader.int('REQUEST_TIMEOUT_MS', DEFAULT_REQUEST_TIMEOUT_MS, 100, 600_000),
    metricsToken: reader.string('METRICS_TOKEN', '') || null,
    cache: {
      authTtlMs: reader.int('AUTH_CACHE_TTL_MS', 500, 0, 1_000),
      produkTtlMs: reader.int('PRODUK_CACHE_TTL_MS', 500, 0, 1_000),
    },
    // Demo convenience from the original service: a new user may name a starting saldo. Off
    // unless asked for, whatever NODE_ENV says: a server started with `npm start` and exposed
    // must not hand out money to anonymous /register calls. Only the simulated provider exists,
    // so saldo given this way cannot buy anything real; a real supplier adapter must refuse it.
    allowRegisterSaldo: reader.bool('ALLOW_REGISTER_SALDO', false),
    database,
    processor: {
      enabled: reader.bool('PROCESSOR_ENABLED', true),
      intervalMs: reader.int('PROCESSOR_INTERVAL_MS', 1_000, 10, 600_000),
      batchSize: reader.int('PROCESSOR_BATCH_SIZE', 100, 1, 1_000),
      concurrency: reader.int('PROCESSOR_CONCURRENCY', 100, 1, 5_000),
      leaseMs,
      maxAttempts: reader.int('PROCESSOR_MAX_ATTEMPTS', 3, 1, 100),
      instanceId: reader.string('PROCESSOR_INSTANCE_ID', defaultInstanceId()),
      shutdownTimeoutMs: reader.int('SHUTDOWN_TIMEOUT_MS', 10_000, 0, 600_000),
    },
    ppobSim: {
      delayMinMs: delay.min,
      delayMaxMs: delay.max,
      successRate: reader.float('PPOB_SIM_SUCCESS_RATE', 0.9, 0, 1),
      ignoreAbort: reader.bool('PPOB_SIM_IGNORE_ABORT', false),
    },
    clockOffsetMs: reader.int('APP_CLOCK_OFFSET_MS', 0, -3_600_000, 3_600_000),
    admin: { keys: parseAdminKeys(env.ADMIN_API_KEYS, problems) },
    deposit: {
      banks: parseDepositBanks(env.DEPOSIT_BANKS, problems),
      min: reader.int('DEPOSIT_MIN', 10_000, 1, 1_000_000_000_000),
      max: reader.int('DEPOSIT_MAX', 100_000_000, 1, 1_000_000_000_000),
      ttlHours: reader.int('DEPOSIT_TTL_HOURS', 24, 1, 720),
      maxOpen: reader.int('DEPOSIT_MAX_OPEN', 3, 1, 100),
    },
    tzLaporan: parseTimeZone(reader.string('TZ_LAPORAN', 'Asia/Jakarta'), problems),
    ppobProvider: reader.oneOf('PPOB_PROVIDER', ['simulated', 'digiflazz'] as const, 'simulated'),
    digiflazz: null,
  };
  if (config.ppobProvider === 'digiflazz') config.digiflazz = parseDigiflazz(reader, problems);
  if (config.digiflazz && config.digiflazz.timeoutMs > (leaseMs * 3) / 4) {
    // The processor aborts a call a quarter lease before the lease ends; a supplier call must give up first.
    problems.push(`DIGIFLAZZ_TIMEOUT_MS (${config.digiflazz.timeoutMs}) must be at most three quarters of PROCESSOR_LEASE_MS (${leaseMs})`);
  }
  if (config.ppobProvider !== 'simulated' && config.allowRegisterSaldo) {
    // Saldo handed out by /register would buy real products from the supplier's deposit.
    problems.push('ALLOW_REGISTER_SALDO=true is only allowed with PPOB_PROVIDER=simulated');
  }

  if (config.deposit.min > config.deposit.max) {
    problems.push(`DEPOSIT_MIN (${config.deposit.min}) must not be above DEPOSIT_MAX (${config.deposit.max})`);
  }
  if (config.processor.instanceId.length > 64) {
    problems.push('PROCESSOR_INSTANCE_ID must be at most 64 characters');
  }

  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

export const appConfig = registerAs('app', () => readEnvConfig());

function parseDigiflazz(reader: EnvReader, problems: string[]): DigiflazzConfig {
  const required = (name: string): string => {
    const value = reader.string(name, '');
    if (!value) problems.push(`${name} is required when PPOB_PROVIDER=digiflazz`);
    return value;
  };
  const url = reader.string('DIGIFLAZZ_URL', 'https://api.digiflazz.com/v1').replace(/\/+$/, '');
  if (!/^https?:\/\/[^/\s]+/.test(url)) problems.push(`DIGIFLAZZ_URL must be an http(s) URL, got "${url}"`);
  const username = required('DIGIFLAZZ_USERNAME');
  const apiKey = required('DIGIFLAZZ_API_KEY');
  return {
    url,
    username,
    sign: (suffix) => createHash('md5').update(username + apiKey + suffix).digest('hex'),
    webhookSignature: webhookSignature(reader.string('DIGIFLAZZ_WEBHOOK_SECRET', '')),
    testing: reader.bool('DIGIFLAZZ_TESTING', false),
    timeoutMs: reader.int('DIGIFLAZZ_TIMEOUT_MS', 10_000, 100, 120_000),
    // The supplier answers rc 83 to a price list asked for more often than every 5 minutes.
    syncIntervalMs: reader.int('DIGIFLAZZ_SYNC_INTERVAL_MS', 600_000, 300_000, 86_400_000),
    markup: parseMarkup(reader.string('DIGIFLAZZ_MARKUP', '0'), problems),
    saldoIntervalMs: reader.int('DIGIFLAZZ_SALDO_INTERVAL_MS', 300_000, 1_000, 86_400_000),
    saldoWarnBelow: reader.int('DIGIFLAZZ_SALDO_WARN_BELOW', 0, 0, 1_000_000_000_000),
  };
}

function webhookSignature(secret: string): DigiflazzConfig['webhookSignature'] {
  if (!secret) return null;
  return (rawBody) => `sha1=${createHmac('sha1', secret).update(rawBody).digest('hex')}`;
}

function parseMarkup(value: string, problems: string[]): DigiflazzConfig['markup'] {
  const match = /^(\d{1,9})(\.\d{1,2})?(%?)$/.exec(value);
  if (!match || (match[2] && !match[3])) {
    problems.push(`DIGIFLAZZ_MARKUP must be whole rupiah (e.g. 500) or a percent (e.g. 2.5%), got "${value}"`);
    return { kind: 'fixed', value: 0 };
  }
  return match[3] ? { kind: 'percent', value: Number(match[1] + (match[2] ?? '')) } : { kind: 'fixed', value: Number(match[1]) };
}

function defaultInstanceId(): string {
  return `${hostname().slice(0, 40)}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

function parseDatabaseUrl(raw: string | undefined, cwd: string, problems: string[], reader: EnvReader): DatabaseConfig {
  const poolSize = reader.int('DATABASE_POOL_SIZE', 20, 1, 500);
  const connectTimeoutMs = reader.int('DATABASE_CONNECT_TIMEOUT_MS', 5_000, 100, 120_000);
  const nativeBinding = parseNativeBinding(reader.string('SQLITE_NATIVE_BINDING', ''), problems);
  const value = raw?.trim();
  if (!value) return { type: 'sqlite', path: join(cwd, 'data', 'ppob.sqlite'), nativeBinding };
  if (value.startsWith('sqlite:')) {
    const path = value.slice('sqlite:'.length).replace(/^\/\//, '');
    if (!path) problems.push('DATABASE_URL sqlite: needs a file path, e.g. sqlite:data/ppob.sqlite');
    return { type: 'sqlite', path: path === ':memory:' || isAbsolute(path) ? path : join(cwd, path), nativeBinding };
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    problems.push('DATABASE_URL is not a valid URL (expected mysql://user:pass@host:3306/dbname)');
    return { type: 'sqlite', path: '', nativeBinding };
  }
  if (url.protocol !== 'mysql:' && url.protocol !== 'mariadb:') {
    problems.push(`DATABASE_URL scheme "${url.protocol}" is not supported (use mysql:// or sqlite:)`);
  }
  if (!url.hostname) problems.push('DATABASE_URL must name a host, e.g. mysql://root@127.0.0.1:3306/ppob');
  if (url.pathname.replace(/^\//, '') === '') {
    problems.push('DATABASE_URL must name a database, e.g. mysql://root@127.0.0.1:3306/ppob');
  }
  url.protocol = 'mysql:';
  return { type: 'mysql', url: url.toString(), poolSize, connectTimeoutMs };
}

/**
 * Hashed here, so the raw keys never sit in the configuration object (which is injected
 * everywhere). The audit id is a prefix of the hash: it names a key without revealing it.
 */
function parseAdminKeys(raw: string | undefined, problems: string[]): AdminKey[] {
  const keys = (raw ?? '')
    .split(',')
    .map((key) => key.trim())
    .filter((key) => key !== '');
  const result: AdminKey[] = [];
  keys.forEach((key, i) => {
    if (key.length < MIN_ADMIN_KEY_LENGTH) {
      problems.push(`ADMIN_API_KEYS: key ${i + 1} is ${key.length} characters; each must be at least ${MIN_ADMIN_KEY_LENGTH}`);
      return;
    }
    const hash = createHash('sha256').update(key).digest();
    result.push({ id: hash.toString('hex').slice(0, 8), hash });
  });
  return result;
}

function parseDepositBanks(raw: string | undefined, problems: string[]): DepositBank[] {
  const value = raw?.trim();
  if (!value) return [];
  const example = 'e.g. [{"bank":"BCA","rekening":"1234567890","atas_nama":"PT Contoh"}]';
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    problems.push(`DEPOSIT_BANKS must be a JSON array, ${example}`);
    return [];
  }
  const banks: DepositBank[] = [];
  const isText = (v: unknown, max: number): v is string => typeof v === 'string' && v.trim() !== '' && v.length <= max;
  if (!Array.isArray(parsed)) {
    problems.push(`DEPOSIT_BANKS must be a JSON array, ${example}`);
    return [];
  }
  for (const [i, entry] of parsed.entries()) {
    const e = entry as Partial<Record<keyof DepositBank, unknown>> | null;
    if (!e || !isText(e.bank, 20) || !/^[A-Za-z0-9 _-]+$/.test(e.bank) || !isText(e.rekening, 40) || !isText(e.atas_nama, 100)) {
      problems.push(`DEPOSIT_BANKS entry ${i + 1} needs bank (letters/digits, at most 20), rekening (at most 40) and atas_nama (at most 100), ${example}`);
      continue;
    }
    if (banks.some((b) => b.bank.toUpperCase() === (e.bank as string).toUpperCase())) {
      problems.push(`DEPOSIT_BANKS names bank "${e.bank}" twice`);
      continue;
    }
    banks.push({ bank: e.bank.trim(), rekening: e.rekening.trim(), atas_nama: e.atas_nama.trim() });
  }
  return banks;
}

function parseTimeZone(value: string, problems: string[]): string {
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: value }).resolvedOptions().timeZone;
  } catch {
    problems.push(`TZ_LAPORAN must be an IANA time zone such as Asia/Jakarta, got "${value}"`);
    return 'Asia/Jakarta';
  }
}

function parseNativeBinding(value: string, problems: string[]): string | null {
  if (!value) return null;
  if (!isAbsolute(value) || !value.endsWith('.node')) {
    problems.push(`SQLITE_NATIVE_BINDING must be the absolute path of a compiled better_sqlite3.node, got "${value}"`);
  } else if (!existsSync(value)) {
    problems.push(`SQLITE_NATIVE_BINDING names a file that does not exist: ${value}`);
  }
  return value;
}

function parseDelay(raw: string | undefined, problems: string[]): { min: number; max: number } {
  const value = raw?.trim() || '1000-3000';
  const match = /^(\d{1,7})(?:\s*-\s*(\d{1,7}))?$/.exec(value);
  if (!match) {
    problems.push(`PPOB_SIM_DELAY_MS must be a number of milliseconds or a range like 1000-3000, got "${value}"`);
    return { min: 0, max: 0 };
  }
  const min = Number(match[1]);
  const max = match[2] === undefined ? min : Number(match[2]);
  if (max < min) problems.push(`PPOB_SIM_DELAY_MS range "${value}" has its maximum below its minimum`);
  return { min, max };
}

class EnvReader {
  constructor(
    private readonly env: Env,
    private readonly problems: string[],
  ) {}

  private raw(name: string): string | undefined {
    const value = this.env[name]?.trim();
    return value === '' ? undefined : value;
  }

  string(name: string, fallback: string): string {
    return this.raw(name) ?? fallback;
  }

  int(name: string, fallback: number, min: number, max: number): number {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if (!/^-?\d+$/.test(value) || Number(value) < min || Number(value) > max) {
      this.problems.push(`${name} must be a whole number from ${min} to ${max}, got "${value}"`);
      return fallback;
    }
    return Number(value);
  }

  float(name: string, fallback: number, min: number, max: number): number {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    const parsed = Number(value);
    if (!/^-?\d+(\.\d+)?$/.test(value) || parsed < min || parsed > max) {
      this.problems.push(`${name} must be a number from ${min} to ${max}, got "${value}"`);
      return fallback;
    }
    return parsed;
  }

  bool(name: string, fallback: boolean): boolean {
    const value = this.raw(name)?.toLowerCase();
    if (value === undefined) return fallback;
    if (['1', 'true', 'yes', 'on'].includes(value)) return true;
    if (['0', 'false', 'no', 'off'].includes(value)) return false;
    this.problems.push(`${name} must be true or false, got "${value}"`);
    return fallback;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if (!(allowed as readonly string[]).includes(value)) {
      this.problems.push(`${name} must be one of ${allowed.join(', ')}, got "${value}"`);
      return fallback;
    }
    return value as T;
  }
}

/**
 * The single place that reads process.env (also used by ormconfig.ts for the TypeORM CLI).
 * A `.env` file in the working directory fills in variables the environment does not set.
 */
export function readEnvConfig(): AppConfig {
  const envFile = join(process.cwd(), '.env');
  if (existsSync(envFile)) process.loadEnvFile(envFile);
  return loadConfig(process.env);
}
