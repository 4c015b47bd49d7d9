import { createHash, createHmac } from 'node:crypto';
import { join } from 'node:path';
import { AppConfig, ConfigError, loadConfig } from './app.config';

const CWD = '/srv/ppob';
/** Production needs APP_ENCRYPTION_KEY (see its own tests below). */
const PRODUCTION_KEY = Buffer.alloc(32, 1).toString('base64');

/** Runs loadConfig and returns the ConfigError it throws (fails the test when it does not throw). */
function configErrorFor(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env, CWD);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

describe('loadConfig', () => {
  describe('defaults', () => {
    let config: AppConfig;

    beforeEach(() => {
      config = loadConfig({}, CWD);
    });

    it('listens on port 8000 on every interface in development', () => {
      expect(config.nodeEnv).toBe('development');
      expect(config.port).toBe(8000);
      expect(config.host).toBe('0.0.0.0');
    });

    it('uses an embedded SQLite file under <cwd>/data when DATABASE_URL is unset', () => {
      expect(config.database).toEqual({ type: 'sqlite', path: join(CWD, 'data', 'ppob.sqlite'), nativeBinding: null });
    });

    it('treats a blank DATABASE_URL like an unset one', () => {
      expect(loadConfig({ DATABASE_URL: '   ' }, CWD).database).toEqual({ type: 'sqlite', path: join(CWD, 'data', 'ppob.sqlite'), nativeBinding: null });
    });

    it('enables the processor with its documented defaults', () => {
      expect(config.processor).toEqual({
        enabled: true,
        intervalMs: 1_000,
        batchSize: 100,
        concurrency: 100,
        leaseMs: 30_000,
        maxAttempts: 3,
        instanceId: expect.any(String),
        shutdownTimeoutMs: 10_000,
      });
    });

    it('gives each process a default instance id that fits the locked_by column', () => {
      expect(config.processor.instanceId.length).toBeGreaterThan(0);
      expect(config.processor.instanceId.length).toBeLessThanOrEqual(64);
      expect(config.processor.instanceId).toContain(String(process.pid));
    });

    it('simulates the provider with a 1-3 s delay and a 90% success rate', () => {
      expect(config.ppobSim).toEqual({ delayMinMs: 1_000, delayMaxMs: 3_000, successRate: 0.9, ignoreAbort: false });
    });

    it('refuses a starting saldo at /register by default (defect 5: money from nothing)', () => {
      expect(config.allowRegisterSaldo).toBe(false);
    });
  });

  describe('ALLOW_REGISTER_SALDO', () => {
    it('is refused by default in test and development too', () => {
      expect(loadConfig({ NODE_ENV: 'test' }, CWD).allowRegisterSaldo).toBe(false);
      expect(loadConfig({ NODE_ENV: 'development' }, CWD).allowRegisterSaldo).toBe(false);
    });

    it('is allowed only with the explicit opt-in', () => {
      expect(loadConfig({ ALLOW_REGISTER_SALDO: 'true' }, CWD).allowRegisterSaldo).toBe(true);
    });

    it('is refused by default in production', () => {
      expect(loadConfig({ NODE_ENV: 'production', APP_ENCRYPTION_KEY: PRODUCTION_KEY }, CWD).allowRegisterSaldo).toBe(false);
    });

    it('is allowed in production only when the operator opts in', () => {
      expect(loadConfig({ NODE_ENV: 'production', APP_ENCRYPTION_KEY: PRODUCTION_KEY, ALLOW_REGISTER_SALDO: 'true' }, CWD).allowRegisterSaldo).toBe(true);
    });

    it('can be switched off in development', () => {
      expect(loadConfig({ ALLOW_REGISTER_SALDO: 'false' }, CWD).allowRegisterSaldo).toBe(false);
    });
  });

  describe('DATABASE_URL', () => {
    it('accepts a mysql:// URL with a database name', () => {
      const { database } = loadConfig({ DATABASE_URL: 'mysql://ppob:secret@db.internal:3307/ppob' }, CWD);
      expect(database).toMatchObject({ type: 'mysql', url: 'mysql://ppob:secret@db.internal:3307/ppob' });
    });

    it('accepts a mariadb:// URL and hands the driver a mysql:// URL', () => {
      const { database } = loadConfig({ DATABASE_URL: 'mariadb://root@127.0.0.1:3306/ppob' }, CWD);
      expect(database).toMatchObject({ type: 'mysql', url: 'mysql://root@127.0.0.1:3306/ppob' });
    });

    it('applies the pool size and connect timeout to a MySQL database', () => {
      const { database } = loadConfig(
        { DATABASE_URL: 'mysql://root@127.0.0.1/ppob', DATABASE_POOL_SIZE: '7', DATABASE_CONNECT_TIMEOUT_MS: '2500' },
        CWD,
      );
      expect(database).toEqual({ type: 'mysql', url: 'mysql://root@127.0.0.1/ppob', poolSize: 7, connectTimeoutMs: 2_500 });
    });

    it('resolves sqlite:relative against the working directory', () => {
      expect(loadConfig({ DATABASE_URL: 'sqlite:var/ppob.db' }, CWD).database).toEqual({ type: 'sqlite', path: join(CWD, 'var', 'ppob.db'), nativeBinding: null });
    });

    it('keeps sqlite:/absolute as given', () => {
      expect(loadConfig({ DATABASE_URL: 'sqlite:/var/lib/ppob/ppob.db' }, CWD).database).toEqual({ type: 'sqlite', path: '/var/lib/ppob/ppob.db', nativeBinding: null });
    });

    it('reads sqlite:///absolute as an absolute path', () => {
      expect(loadConfig({ DATABASE_URL: 'sqlite:///var/lib/ppob/ppob.db' }, CWD).database).toEqual({ type: 'sqlite', path: '/var/lib/ppob/ppob.db', nativeBinding: null });
    });

    it('keeps sqlite::memory: in memory', () => {
      expect(loadConfig({ DATABASE_URL: 'sqlite::memory:' }, CWD).database).toEqual({ type: 'sqlite', path: ':memory:', nativeBinding: null });
    });
  });

  describe('SQLITE_NATIVE_BINDING', () => {
    // Any existing absolute *.node file will do for the config: loading it is the driver's job.
    const binding = require.resolve('better-sqlite3/build/Release/better_sqlite3.node');

    it('hands an existing compiled module to the SQLite connection', () => {
      expect(loadConfig({ SQLITE_NATIVE_BINDING: binding }, CWD).database).toEqual({
        type: 'sqlite',
        path: join(CWD, 'data', 'ppob.sqlite'),
        nativeBinding: binding,
      });
    });

    it.each([
      ['a relative path', 'build/Release/better_sqlite3.node', 'absolute path'],
      ['a file that is not a compiled module', __filename, 'absolute path'],
      ['a missing file', '/nonexistent/better_sqlite3.node', 'does not exist'],
    ])('refuses %s', (_label, value, message) => {
      const problems = configErrorFor({ SQLITE_NATIVE_BINDING: value }).problems;
      expect(problems).toEqual([expect.stringContaining('SQLITE_NATIVE_BINDING')]);
      expect(problems[0]).toContain(message);
    });
  });

  describe('rejects bad values with a ConfigError that names the variable', () => {
    it.each<[string, Record<string, string>, string]>([
      ['a non-numeric PORT', { PORT: 'abc' }, 'PORT'],
      ['a PORT above 65535', { PORT: '70000' }, 'PORT'],
      ['a negative PORT', { PORT: '-1' }, 'PORT'],
      ['a fractional PORT', { PORT: '80.5' }, 'PORT'],
      ['PROCESSOR_CONCURRENCY=0', { PROCESSOR_CONCURRENCY: '0' }, 'PROCESSOR_CONCURRENCY'],
      ['PROCESSOR_BATCH_SIZE=0', { PROCESSOR_BATCH_SIZE: '0' }, 'PROCESSOR_BATCH_SIZE'],
      ['a lease below one second', { PROCESSOR_LEASE_MS: '500' }, 'PROCESSOR_LEASE_MS'],
      ['PPOB_SIM_SUCCESS_RATE above 1', { PPOB_SIM_SUCCESS_RATE: '1.5' }, 'PPOB_SIM_SUCCESS_RATE'],
      ['PPOB_SIM_SUCCESS_RATE below 0', { PPOB_SIM_SUCCESS_RATE: '-0.1' }, 'PPOB_SIM_SUCCESS_RATE'],
      ['a non-numeric PPOB_SIM_SUCCESS_RATE', { PPOB_SIM_SUCCESS_RATE: 'half' }, 'PPOB_SIM_SUCCESS_RATE'],
      ['a non-numeric PPOB_SIM_DELAY_MS', { PPOB_SIM_DELAY_MS: 'abc' }, 'PPOB_SIM_DELAY_MS'],
      ['a PPOB_SIM_DELAY_MS range whose maximum is below its minimum', { PPOB_SIM_DELAY_MS: '5-1' }, 'PPOB_SIM_DELAY_MS'],
      ['a postgres:// DATABASE_URL', { DATABASE_URL: 'postgres://u:p@localhost:5432/ppob' }, 'DATABASE_URL'],
      ['a mysql:// DATABASE_URL without a database name', { DATABASE_URL: 'mysql://root@127.0.0.1:3306' }, 'DATABASE_URL'],
      ['a mysql:// DATABASE_URL ending in a bare slash', { DATABASE_URL: 'mysql://root@127.0.0.1:3306/' }, 'DATABASE_URL'],
      ['a DATABASE_URL that is not a URL', { DATABASE_URL: 'not a url' }, 'DATABASE_URL'],
      ['sqlite: without a path', { DATABASE_URL: 'sqlite:' }, 'DATABASE_URL'],
      ['PROCESSOR_ENABLED=maybe', { PROCESSOR_ENABLED: 'maybe' }, 'PROCESSOR_ENABLED'],
      ['ALLOW_REGISTER_SALDO=sometimes', { ALLOW_REGISTER_SALDO: 'sometimes' }, 'ALLOW_REGISTER_SALDO'],
      ['NODE_ENV=staging', { NODE_ENV: 'staging' }, 'NODE_ENV'],
      ['LOG_LEVEL=verbose', { LOG_LEVEL: 'verbose' }, 'LOG_LEVEL'],
      ['an instance id longer than 64 characters', { PROCESSOR_INSTANCE_ID: 'x'.repeat(65) }, 'PROCESSOR_INSTANCE_ID'],
    ])('%s', (_label, env, variable) => {
      const error = configErrorFor(env);
      expect(error.problems).toHaveLength(1);
      expect(error.problems[0]).toContain(variable);
      expect(error.message).toContain(variable);
    });

    it('quotes the offending value so the operator can find it', () => {
      expect(configErrorFor({ PORT: '70000' }).message).toContain('"70000"');
    });
  });

  it('accepts the boundary values of the numeric ranges', () => {
    const config = loadConfig({ PORT: '65535', PROCESSOR_CONCURRENCY: '1', PPOB_SIM_SUCCESS_RATE: '1', SHUTDOWN_TIMEOUT_MS: '0' }, CWD);
    expect(config.port).toBe(65_535);
    expect(config.processor.concurrency).toBe(1);
    expect(config.ppobSim.successRate).toBe(1);
    expect(config.processor.shutdownTimeoutMs).toBe(0);
  });

  it('reads a single PPOB_SIM_DELAY_MS as a fixed delay', () => {
    expect(loadConfig({ PPOB_SIM_DELAY_MS: '250' }, CWD).ppobSim).toMatchObject({ delayMinMs: 250, delayMaxMs: 250 });
  });

  it('reads a PPOB_SIM_DELAY_MS range', () => {
    expect(loadConfig({ PPOB_SIM_DELAY_MS: '10 - 20' }, CWD).ppobSim).toMatchObject({ delayMinMs: 10, delayMaxMs: 20 });
  });

  it('reads the spellings of true and false', () => {
    expect(loadConfig({ PROCESSOR_ENABLED: 'off' }, CWD).processor.enabled).toBe(false);
    expect(loadConfig({ PROCESSOR_ENABLED: 'NO' }, CWD).processor.enabled).toBe(false);
    expect(loadConfig({ PROCESSOR_ENABLED: '1' }, CWD).processor.enabled).toBe(true);
    expect(loadConfig({ PROCESSOR_ENABLED: 'Yes' }, CWD).processor.enabled).toBe(true);
  });

  it('reports every problem at once', () => {
    const error = configErrorFor({
      PORT: 'abc',
      NODE_ENV: 'staging',
      PROCESSOR_CONCURRENCY: '0',
      PPOB_SIM_SUCCESS_RATE: '1.5',
      DATABASE_URL: 'postgres://localhost/ppob',
    });
    expect(error.problems).toHaveLength(5);
    for (const variable of ['PORT', 'NODE_ENV', 'PROCESSOR_CONCURRENCY', 'PPOB_SIM_SUCCESS_RATE', 'DATABASE_URL']) {
      expect(error.message).toContain(variable);
    }
  });

  describe('operator side', () => {
    it('turns /admin off without ADMIN_API_KEYS, and keeps only hashes of the keys it is given', () => {
      expect(loadConfig({}, CWD).admin.keys).toEqual([]);
      const key = 'k'.repeat(32);
      const config = loadConfig({ ADMIN_API_KEYS: ` ${key} , ${'z'.repeat(40)}` }, CWD);
      expect(config.admin.keys).toHaveLength(2);
      expect(config.admin.keys[0].id).toMatch(/^[0-9a-f]{8}$/);
      expect(JSON.stringify(config)).not.toContain(key);
    });

    it('refuses an operator key shorter than 32 characters, naming the variable', () => {
      const error = configErrorFor({ ADMIN_API_KEYS: `${'k'.repeat(32)},short` });
      expect(error.message).toContain('ADMIN_API_KEYS: key 2 is 5 characters');
    });

    it('reads DEPOSIT_BANKS as JSON and refuses malformed entries', () => {
      const banks = [{ bank: 'BCA', rekening: '1234567890', atas_nama: 'PT Contoh' }];
      expect(loadConfig({ DEPOSIT_BANKS: JSON.stringify(banks) }, CWD).deposit.banks).toEqual(banks);
      expect(configErrorFor({ DEPOSIT_BANKS: 'BCA' }).message).toContain('DEPOSIT_BANKS must be a JSON array');
      expect(configErrorFor({ DEPOSIT_BANKS: '[{"bank":"BCA"}]' }).message).toContain('DEPOSIT_BANKS entry 1');
      expect(configErrorFor({ DEPOSIT_BANKS: JSON.stringify([...banks, ...banks]) }).message).toContain('twice');
    });

    it('defaults deposits to 10 000-100 000 000 rupiah, 24 h, 3 open, and refuses min above max', () => {
      expect(loadConfig({}, CWD).deposit).toEqual({ banks: [], min: 10_000, max: 100_000_000, ttlHours: 24, maxOpen: 3 });
      expect(configErrorFor({ DEPOSIT_MIN: '5000', DEPOSIT_MAX: '1000' }).message).toContain('DEPOSIT_MIN');
    });

    it('reports in Asia/Jakarta days unless TZ_LAPORAN names another zone', () => {
      expect(loadConfig({}, CWD).tzLaporan).toBe('Asia/Jakarta');
      expect(loadConfig({ TZ_LAPORAN: 'Asia/Makassar' }, CWD).tzLaporan).toBe('Asia/Makassar');
      expect(configErrorFor({ TZ_LAPORAN: 'Mars/Olympus' }).message).toContain('TZ_LAPORAN');
    });
  });

  describe('the supplier (PPOB_PROVIDER)', () => {
    const DIGIFLAZZ = { PPOB_PROVIDER: 'digiflazz', DIGIFLAZZ_USERNAME: 'buyer1', DIGIFLAZZ_API_KEY: 'secret-key-abc123' };

    it('uses the simulated provider unless told otherwise', () => {
      const config = loadConfig({}, CWD);
      expect(config.ppobProvider).toBe('simulated');
      expect(config.digiflazz).toBeNull();
    });

    it('reads the Digiflazz settings with their documented defaults', () => {
      expect(loadConfig(DIGIFLAZZ, CWD).digiflazz).toEqual({
        url: 'https://api.digiflazz.com/v1',
        username: 'buyer1',
        sign: expect.any(Function),
        webhookSignature: null,
        testing: false,
        timeoutMs: 10_000,
        syncIntervalMs: 600_000,
        markup: { kind: 'fixed', value: 0 },
        saldoIntervalMs: 300_000,
        saldoWarnBelow: 0,
      });
    });

    it('keeps the api key and webhook secret only inside closures: the configuration object never shows them', () => {
      const config = loadConfig({ ...DIGIFLAZZ, DIGIFLAZZ_WEBHOOK_SECRET: 'hook-secret-xyz' }, CWD);
      expect(JSON.stringify(config)).not.toContain('secret-key-abc123');
      expect(JSON.stringify(config)).not.toContain('hook-secret-xyz');
      expect(config.digiflazz!.webhookSignature!('{}')).toBe(`sha1=${createHmac('sha1', 'hook-secret-xyz').update('{}').digest('hex')}`);
      expect(config.digiflazz!.sign('depo')).toBe(createHash('md5').update('buyer1secret-key-abc123depo').digest('hex'));
    });

    it('names each missing value at boot', () => {
      const err = configErrorFor({ PPOB_PROVIDER: 'digiflazz' });
      expect(err.problems).toEqual(expect.arrayContaining([expect.stringContaining('DIGIFLAZZ_USERNAME'), expect.stringContaining('DIGIFLAZZ_API_KEY')]));
    });

    it('never puts the api key in a boot error', () => {
      const err = configErrorFor({ ...DIGIFLAZZ, DIGIFLAZZ_SYNC_INTERVAL_MS: '1000', DIGIFLAZZ_MARKUP: 'lots', DIGIFLAZZ_URL: 'ftp:x' });
      expect(err.problems.length).toBeGreaterThanOrEqual(3);
      expect(err.message).not.toContain('secret-key-abc123');
    });

    it('refuses a price-list interval under 5 minutes (the supplier answers rc 83)', () => {
      expect(configErrorFor({ ...DIGIFLAZZ, DIGIFLAZZ_SYNC_INTERVAL_MS: '299999' }).message).toContain('DIGIFLAZZ_SYNC_INTERVAL_MS');
      expect(loadConfig({ ...DIGIFLAZZ, DIGIFLAZZ_SYNC_INTERVAL_MS: '300000' }, CWD).digiflazz!.syncIntervalMs).toBe(300_000);
    });

    it('reads the markup as fixed rupiah or a percent', () => {
      expect(loadConfig({ ...DIGIFLAZZ, DIGIFLAZZ_MARKUP: '500' }, CWD).digiflazz!.markup).toEqual({ kind: 'fixed', value: 500 });
      expect(loadConfig({ ...DIGIFLAZZ, DIGIFLAZZ_MARKUP: '2.5%' }, CWD).digiflazz!.markup).toEqual({ kind: 'percent', value: 2.5 });
      expect(configErrorFor({ ...DIGIFLAZZ, DIGIFLAZZ_MARKUP: '2.5' }).message).toContain('DIGIFLAZZ_MARKUP');
    });

    it('refuses register-time saldo with a real supplier: it would buy real products from the supplier deposit', () => {
      expect(configErrorFor({ ...DIGIFLAZZ, ALLOW_REGISTER_SALDO: 'true' }).message).toContain('ALLOW_REGISTER_SALDO=true is only allowed with PPOB_PROVIDER=simulated');
      expect(loadConfig({ ALLOW_REGISTER_SALDO: 'true' }, CWD).allowRegisterSaldo).toBe(true);
    });

    it('wants a supplier call to give up before the processor aborts it', () => {
      expect(configErrorFor({ ...DIGIFLAZZ, PROCESSOR_LEASE_MS: '4000', DIGIFLAZZ_TIMEOUT_MS: '3500' }).message).toContain('DIGIFLAZZ_TIMEOUT_MS');
    });
  });
});

describe('APP_ENCRYPTION_KEY', () => {
  const key = Buffer.alloc(32, 3).toString('base64');

  it('is required in production, and the error names the variable', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/APP_ENCRYPTION_KEY is required in production/);
  });

  it('refuses a malformed key without echoing it', () => {
    const bad = Buffer.alloc(16, 5).toString('base64');
    let message = '';
    try {
      loadConfig({ NODE_ENV: 'production', APP_ENCRYPTION_KEY: bad });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/APP_ENCRYPTION_KEY must be 32 bytes/);
    expect(message).not.toContain(bad);
  });

  it('takes 32 bytes of base64, and is optional outside production', () => {
    expect(loadConfig({ NODE_ENV: 'production', APP_ENCRYPTION_KEY: key }).encryptionKey).toEqual(Buffer.alloc(32, 3));
    expect(loadConfig({ NODE_ENV: 'development' }).encryptionKey).toBeNull();
  });

  it('parses CALLBACK_RETRY_SCHEDULE and TRUST_PROXY, refusing bad values', () => {
    expect(loadConfig({ CALLBACK_RETRY_SCHEDULE: '5s,5m,2h' }).callbacks.retryScheduleMs).toEqual([5_000, 300_000, 7_200_000]);
    expect(() => loadConfig({ CALLBACK_RETRY_SCHEDULE: '5 minutes' })).toThrow(/CALLBACK_RETRY_SCHEDULE/);
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 192.0.2.1' }).trustProxy).toEqual(['10.0.0.0/8', '192.0.2.1']);
    expect(() => loadConfig({ TRUST_PROXY: 'proxy.local' })).toThrow(/TRUST_PROXY/);
    expect(() => loadConfig({ REDIS_URL: 'http://u:hunter2@x' })).toThrow(/REDIS_URL/);
    expect(() => loadConfig({ REDIS_URL: 'http://u:hunter2@x' })).not.toThrow(/hunter2/);
  });
});
