import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { redisOptions, redisTarget } from '../queue/redis-connection';
import { ConfigError, loadConfig, requireServices } from './app-config';

describe('configuration', () => {
  it('uses the embedded defaults when nothing is set', () => {
    const config = loadConfig({});
    expect(config.HOST).toBe('127.0.0.1');
    expect(config.PORT).toBe(3000);
    expect(config.DATA_DIR).toBe('./var');
    expect(config.SESSION_IDLE_MINUTES).toBe(30);
    expect(config.SESSION_ABSOLUTE_HOURS).toBe(12);
    expect(config.cookieSecure).toBe(false);
  });

  it('converts numbers and booleans from their string form', () => {
    const config = loadConfig({ PORT: '8080', TRUST_PROXY: 'true', HOST: '0.0.0.0' });
    expect(config.PORT).toBe(8080);
    expect(config.TRUST_PROXY).toBe(true);
    expect(config.cookieSecure).toBe(true);
  });

  it('a malformed variable stops start-up with a message that names it', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(ConfigError);
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT/);
    expect(() => loadConfig({ DATABASE_URL: 'mysql://x' })).toThrow(
      /DATABASE_URL must be a postgres:\/\/ URL/,
    );
  });

  it('names every bad variable at once, and never echoes a secret', () => {
    const secret = 'not-base64-but-secret';
    try {
      loadConfig({ PORT: '99999', MASTER_KEY: secret, LOG_LEVEL: 'loud' });
      throw new Error('expected a ConfigError');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const message = (error as ConfigError).message;
      expect(message).toMatch(/PORT/);
      expect(message).toMatch(/MASTER_KEY/);
      expect(message).toMatch(/LOG_LEVEL/);
      expect(message).not.toContain(secret);
    }
  });

  it('the api and worker refuse to start without database, queue and keys, naming each', () => {
    const config = loadConfig({});
    expect(() => requireServices(config)).toThrow(
      /DATABASE_URL[\s\S]*REDIS_URL[\s\S]*MASTER_KEY[\s\S]*CALLER_HASH_KEY/,
    );
  });
});

describe('Redis through Sentinel', () => {
  it('takes the Sentinels instead of a URL, and the URL only for credentials and database', () => {
    const config = loadConfig({
      REDIS_SENTINELS: 'sentinel-1:26379,10.0.0.7:26380,[::1]:26381',
      REDIS_SENTINEL_NAME: 'helpline',
      REDIS_URL: 'redis://:s3cret@ignored-host:6379/2',
    });
    const target = redisTarget(config);
    expect(target.sentinels).toEqual([
      { host: 'sentinel-1', port: 26379 },
      { host: '10.0.0.7', port: 26380 },
      { host: '::1', port: 26381 },
    ]);
    const options = redisOptions(target);
    expect(options).toMatchObject({ name: 'helpline', password: 's3cret', db: 2, role: 'master' });
    expect(options.host).toBeUndefined();
    expect(options.sentinels).toHaveLength(3);
  });

  it('needs no REDIS_URL with Sentinels, defaults the name, and refuses a malformed list', () => {
    const config = loadConfig({ REDIS_SENTINELS: '127.0.0.1:26379' });
    expect(config.REDIS_SENTINEL_NAME).toBe('mayak');
    expect(() => requireServices(config)).not.toThrow(/REDIS/);
    expect(() => loadConfig({ REDIS_SENTINELS: 'sentinel-without-port' })).toThrow(
      /REDIS_SENTINELS must be a comma-separated list of host:port/,
    );
    expect(redisOptions(redisTarget({ REDIS_URL: 'redis://cache:6380/1' }))).toMatchObject({
      host: 'cache',
      port: 6380,
      db: 1,
    });
  });
});

describe('passwords from files (Docker secrets)', () => {
  it('puts the database and Redis passwords from files into the URLs', () => {
    const dir = mkdtempSync(`${tmpdir()}/mayak-secret-`);
    writeFileSync(`${dir}/pg`, 'p@ss:word\n');
    writeFileSync(`${dir}/redis`, 'r3dis\n');
    const config = loadConfig({
      DATABASE_URL: 'postgres://mayak@db:5432/mayak',
      DATABASE_PASSWORD_FILE: `${dir}/pg`,
      REDIS_URL: 'redis://redis:6379',
      REDIS_PASSWORD_FILE: `${dir}/redis`,
    });
    expect(decodeURIComponent(new URL(config.DATABASE_URL!).password)).toBe('p@ss:word');
    expect(new URL(config.REDIS_URL!).password).toBe('r3dis');
  });

  it("puts the migration role's password into its own URL, not the application's", () => {
    const dir = mkdtempSync(`${tmpdir()}/mayak-secret-`);
    writeFileSync(`${dir}/app`, 'app-pw\n');
    writeFileSync(`${dir}/owner`, 'owner-pw\n');
    const config = loadConfig({
      DATABASE_URL: 'postgres://mayak_app@db:5432/mayak',
      DATABASE_PASSWORD_FILE: `${dir}/app`,
      DATABASE_MIGRATION_URL: 'postgres://mayak@db:5432/mayak',
      DATABASE_MIGRATION_PASSWORD_FILE: `${dir}/owner`,
    });
    expect(new URL(config.DATABASE_URL!).password).toBe('app-pw');
    expect(new URL(config.migrationUrl!).password).toBe('owner-pw');
    expect(new URL(config.migrationUrl!).username).toBe('mayak');
  });

  it("without a migration URL, migrations use the application's", () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://mayak@db:5432/mayak' });
    expect(config.migrationUrl).toBe('postgres://mayak@db:5432/mayak');
    expect(() => loadConfig({ DATABASE_MIGRATION_URL: 'mysql://x' })).toThrow(
      /DATABASE_MIGRATION_URL must be a postgres:\/\/ URL/,
    );
  });

  it('an unreadable password file stops start-up naming the variable', () => {
    expect(() =>
      loadConfig({ DATABASE_URL: 'postgres://x@db/x', DATABASE_PASSWORD_FILE: '/nonexistent/pg' }),
    ).toThrow(/DATABASE_PASSWORD_FILE cannot be read/);
  });

  it('keys are files by default outside production, and sealed by default in production', () => {
    expect(loadConfig({}).keyCustody).toBe('file');
    expect(loadConfig({ NODE_ENV: 'production' }).keyCustody).toBe('sealed');
  });

  it('production refuses file custody, with a message that says why', () => {
    expect(() => loadConfig({ NODE_ENV: 'production', KEY_CUSTODY: 'file' })).toThrow(
      /KEY_CUSTODY=file is refused under NODE_ENV=production/,
    );
  });

  it('sealed custody takes no key from the environment, and needs a node credential', () => {
    expect(() =>
      loadConfig({ KEY_CUSTODY: 'sealed', MASTER_KEY: Buffer.alloc(32, 1).toString('base64') }),
    ).toThrow(/unset MASTER_KEY/);
    const sealed = loadConfig({
      KEY_CUSTODY: 'sealed',
      DATABASE_URL: 'postgres://x@localhost/db',
      REDIS_URL: 'redis://localhost',
    });
    expect(() => requireServices(sealed)).toThrow(/NODE_CREDENTIAL/);
    const withCredential = loadConfig({
      KEY_CUSTODY: 'sealed',
      DATABASE_URL: 'postgres://x@localhost/db',
      REDIS_URL: 'redis://localhost',
      NODE_CREDENTIAL: Buffer.alloc(32, 2).toString('base64'),
    });
    expect(() => requireServices(withCredential)).not.toThrow();
  });
});

describe('the audit witness', () => {
  it('needs a secret, and HTTPS unless it is on this machine', () => {
    expect(() => loadConfig({ AUDIT_WITNESS_URL: 'https://witness.example/head' })).toThrow(
      /AUDIT_WITNESS_URL needs AUDIT_WITNESS_SECRET/,
    );
    expect(() =>
      loadConfig({
        AUDIT_WITNESS_URL: 'http://witness.example/head',
        AUDIT_WITNESS_SECRET: 'a-long-enough-secret',
      }),
    ).toThrow(/AUDIT_WITNESS_URL must be https/);
    expect(() =>
      loadConfig({
        AUDIT_WITNESS_URL: 'https://user:pw@witness.example/',
        AUDIT_WITNESS_SECRET: 'x'.repeat(16),
      }),
    ).toThrow(/AUDIT_WITNESS_URL must be an http\(s\) URL without credentials/);
    const config = loadConfig({
      AUDIT_WITNESS_URL: 'http://127.0.0.1:9999/head',
      AUDIT_WITNESS_SECRET: 'a-long-enough-secret',
      AUDIT_WITNESS_INTERVAL_MINUTES: '0',
    });
    expect(config.AUDIT_WITNESS_INTERVAL_MINUTES).toBe(0);
  });

  it('names a bad secret without echoing it', () => {
    expect(() => loadConfig({ AUDIT_WITNESS_SECRET: 'tiny-s3cr' })).toThrow(
      /^(?![\s\S]*tiny-s3cr)[\s\S]*AUDIT_WITNESS_SECRET must be at least 16 characters/,
    );
  });
});
