import { createHash, createHmac, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
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
  /**
   * /beli group commit: purchases of one reseller arriving together share one transaction. A
   * purchase with no batch of its reseller in flight waits up to `windowMs` for company; at most
   * `maxBatch` purchases go in one transaction (1 turns batching off).
   */
  beliGroupCommit: { windowMs: number; maxBatch: number };
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
  /**
   * AES-256-GCM key for secrets the server must use later (callback secrets). null outside
   * production when APP_ENCRYPTION_KEY is unset: SecretBox then keeps one in `dataDir`.
   */
  encryptionKey: Buffer | null;
  /**
   * Fastify's trustProxy: false (the socket's address is the client), a hop count, or the
   * addresses/CIDRs of the proxies whose X-Forwarded-For is believed.
   */
  trustProxy: false | number | string[];
  rateLimit: {
    /** Per reseller (API key owner) on every authenticated route; 0 = off. */
    perMinute: number;
    /** Per client IP on POST /register; 0 = off. */
    registerPerHour: number;
    /** Per client IP, failed API-key lookups (brute-force guard); 0 = off. */
    authFailuresPerMinute: number;
    /** Counters in Redis (shared by instances) when set; else in this process's memory. */
    redisUrl: string | null;
    /** Prefix of every Redis key (tests use their own). */
    redisPrefix: string;
  };
  /** Where generated development files live (the SQLite file's folder, or ./data). */
  dataDir: string;
  callbacks: {
    enabled: boolean;
    timeoutMs: number;
    /** Delay before retry n (n = 1..length); after the last one the delivery is marked gagal. */
    retryScheduleMs: number[];
    allowPrivate: boolean;
    concurrency: number;
    intervalMs: number;
    leaseMs: number;
  };
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
  const callbackTimeoutMs = reader.int('CALLBACK_TIMEOUT_MS', 15_000, 100, 120_000);

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
    beliGroupCommit: {
      windowMs: reader.int('BELI_GROUP_COMMIT_WINDOW_MS', 0, 0, 1_000),
      maxBatch: reader.int('BELI_GROUP_COMMIT_MAX', 100, 1, 1_000),
    },
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
    trustProxy: parseTrustProxy(env.TRUST_PROXY, problems),
    rateLimit: {
      perMinute: reader.int('RATE_LIMIT_PER_MINUTE', 600, 0, 10_000_000),
      registerPerHour: reader.int('RATE_LIMIT_REGISTER_PER_HOUR', 20, 0, 1_000_000),
      authFailuresPerMinute: reader.int('RATE_LIMIT_AUTH_FAILURES_PER_MINUTE', 30, 0, 1_000_000),
      redisUrl: parseRedisUrl(env.REDIS_URL, problems),
      redisPrefix: reader.string('RATE_LIMIT_REDIS_PREFIX', 'ppob:rl:'),
    },
    encryptionKey: parseEncryptionKey(env.APP_ENCRYPTION_KEY, nodeEnv, problems),
    dataDir: database.type === 'sqlite' && database.path && database.path !== ':memory:' ? dirname(database.path) : join(cwd, 'data'),
    callbacks: {
      enabled: reader.bool('CALLBACK_ENABLED', true),
      timeoutMs: callbackTimeoutMs,
      retryScheduleMs: parseSchedule(env.CALLBACK_RETRY_SCHEDULE, problems),
      // Development and tests deliver to receivers on this machine; production must not.
      allowPrivate: reader.bool('CALLBACK_ALLOW_PRIVATE', false),
      concurrency: reader.int('CALLBACK_CONCURRENCY', 200, 1, 5_000),
      intervalMs: reader.int('CALLBACK_INTERVAL_MS', 1_000, 10, 600_000),
      // Past the timeout, so a delivery still running is never claimed by another instance.
      leaseMs: callbackTimeoutMs + 15_000,
    },
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

function parseRedisUrl(raw: string | undefined, problems: string[]): string | null {
  const value = raw?.trim();
  if (!value) return null;
  try {
    const url = new URL(value);
    if (url.protocol === 'redis:' || url.protocol === 'rediss:') return value;
  } catch {
    // reported below
  }
  // Not echoed: a Redis URL may carry a password.
  problems.push('REDIS_URL must be a redis:// or rediss:// URL, e.g. redis://127.0.0.1:6379');
  return null;
}

function parseTrustProxy(raw: string | undefined, problems: string[]): false | number | string[] {
  const value = raw?.trim();
  if (!value || value === 'false') return false;
  if (/^\d{1,2}$/.test(value)) return Number(value);
  const entries = value.split(',').map((e) => e.trim());
  const bad = entries.filter((e) => !isIpOrCidr(e));
  if (bad.length > 0) problems.push(`TRUST_PROXY must be a hop count or a comma-separated list of proxy addresses/CIDRs, got "${bad[0]}"`);
  return entries;
}

/** 203.0.113.7, 198.51.100.0/24, 2001:db8::/32 */
export function isIpOrCidr(value: string): boolean {
  const [address, bits, extra] = value.split('/');
  // isIP accepts a zone id of any length (fe80::1%eth0): meaningless for a peer address, and unbounded.
  if (address.includes('%')) return false;
  const family = isIP(address);
  if (!family || extra !== undefined) return false;
  if (bits === undefined) return true;
  return /^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128);
}

function parseEncryptionKey(raw: string | undefined, nodeEnv: AppConfig['nodeEnv'], problems: string[]): Buffer | null {
  const value = raw?.trim();
  if (!value) {
    if (nodeEnv === 'production') problems.push('APP_ENCRYPTION_KEY is required in production (32 random bytes, base64: openssl rand -base64 32)');
    return null;
  }
  const key = /^[A-Za-z0-9+/]+={0,2}$/.test(value) ? Buffer.from(value, 'base64') : Buffer.alloc(0);
  // The value itself never goes into the message: it is a secret.
  if (key.length !== 32) problems.push('APP_ENCRYPTION_KEY must be 32 bytes in base64 (44 characters: openssl rand -base64 32)');
  return key.length === 32 ? key : null;
}

const DURATION_UNITS_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** "5s,5m,30m,2h" -> milliseconds. */
function parseSchedule(raw: string | undefined, problems: string[]): number[] {
  const value = raw?.trim() || '5s,5m,30m,2h,5h,10h,10h';
  const steps = value.split(',').map((part) => /^(\d{1,6})(ms|s|m|h)$/.exec(part.trim()));
  if (steps.length > 20 || steps.some((m) => m === null)) {
    problems.push(`CALLBACK_RETRY_SCHEDULE must be up to 20 comma-separated durations like 5s,5m,2h, got "${value}"`);
    return [5_000];
  }
  return steps.map((m) => Number(m![1]) * DURATION_UNITS_MS[m![2]]);
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
