import { checkServerVersion, parseServerVersion } from './database-startup';

describe('parseServerVersion', () => {
  it('reads a plain MySQL version', () => {
    expect(parseServerVersion('8.0.36')).toEqual({ engine: 'mysql', major: 8, minor: 0, patch: 36 });
  });

  it('reads a distribution-suffixed MySQL version', () => {
    expect(parseServerVersion('8.0.39-0ubuntu0.22.04.1')).toEqual({ engine: 'mysql', major: 8, minor: 0, patch: 39 });
  });

  it('reads a MariaDB version', () => {
    expect(parseServerVersion('10.11.19-MariaDB-0+deb12u1')).toEqual({ engine: 'mariadb', major: 10, minor: 11, patch: 19 });
  });

  it('reads the replication-prefixed MariaDB form as the real MariaDB version', () => {
    expect(parseServerVersion('5.5.5-10.11.6-MariaDB')).toEqual({ engine: 'mariadb', major: 10, minor: 11, patch: 6 });
  });

  it('recognises TiDB, which reports a MySQL-like version', () => {
    expect(parseServerVersion('8.0.11-TiDB-v7.5.0').engine).toBe('tidb');
  });
});

describe('checkServerVersion', () => {
  describe('MySQL', () => {
    it('refuses 8.0.0, which has no SKIP LOCKED', () => {
      expect(checkServerVersion('8.0.0')).toMatch(/MySQL 8\.0\.0 is too old/);
    });

    it('refuses 5.7', () => {
      expect(checkServerVersion('5.7.44-log')).toMatch(/MySQL .* too old.*8\.0\.1/);
    });

    it.each(['8.0.1', '8.0.36', '8.4.3', '8.4.0-commercial', '9.1.0'])('accepts %s', (version) => {
      expect(checkServerVersion(version)).toBeNull();
    });
  });

  describe('MariaDB', () => {
    it.each(['10.5.27-MariaDB', '10.5.9-MariaDB-1:10.5.9+maria~focal', '5.5.5-10.5.8-MariaDB', '10.4.34-MariaDB'])(
      'refuses %s',
      (version) => {
        expect(checkServerVersion(version)).toMatch(/MariaDB .* too old.*10\.6/);
      },
    );

    it.each(['10.6.0-MariaDB', '10.11.19-MariaDB-0+deb12u1', '5.5.5-10.11.6-MariaDB', '11.4.2-MariaDB', '11.8.1-MariaDB-ubu2404'])(
      'accepts %s',
      (version) => {
        expect(checkServerVersion(version)).toBeNull();
      },
    );
  });

  describe('TiDB', () => {
    it.each(['8.0.11-TiDB-v7.5.0', '5.7.25-TiDB-v6.5.0', '5.7.25-TiDB-v4.0.0'])('refuses %s', (version) => {
      expect(checkServerVersion(version)).toMatch(/TiDB .* not supported/);
    });
  });

  it('refuses a version string it cannot read', () => {
    expect(checkServerVersion('')).not.toBeNull();
  });
});
