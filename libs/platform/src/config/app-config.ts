import { readFileSync } from 'node:fs';
import { plainToInstance, Transform } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  MinLength,
  ValidationError,
  validateSync,
} from 'class-validator';

const toInt = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value.trim()) : value;
const toBool = ({ value }: { value: unknown }): unknown => {
  if (typeof value !== 'string') return value;
  const v = value.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off'].includes(v)) return false;
  return value;
};

/**
 * Every environment variable Mayak reads, with its default. The README's configuration table
 * is this class in prose; keep them together. Secrets (keys, URLs with passwords) are never
 * echoed in validation messages.
 */
export class AppConfig {
  @IsIn(['production', 'development', 'test'])
  NODE_ENV: 'production' | 'development' | 'test' = 'development';

  @IsString()
  @MinLength(1)
  HOST = '127.0.0.1';

  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT = 3000;

  /** Where the embedded PostgreSQL, Redis and generated keys live. */
  @IsString()
  @MinLength(1)
  DATA_DIR = './var';

  /**
   * What the API, the worker and the operator commands connect as: a role that owns nothing
   * and is no superuser, so it cannot switch the audit trail's guard off.
   */
  @IsOptional()
  @Matches(/^postgres(ql)?:\/\/\S+$/, { message: 'must be a postgres:// URL' })
  DATABASE_URL?: string;

  /**
   * What `migrate` connects as: the owner of the schema. It also creates DATABASE_URL's role
   * if missing and grants it the application's rights. Unset: DATABASE_URL does both, and the
   * application can then disable the audit trail's triggers.
   */
  @IsOptional()
  @Matches(/^postgres(ql)?:\/\/\S+$/, { message: 'must be a postgres:// URL' })
  DATABASE_MIGRATION_URL?: string;

  /** A file holding the migration role's password, put into DATABASE_MIGRATION_URL. */
  @IsOptional()
  @IsString()
  DATABASE_MIGRATION_PASSWORD_FILE?: string;

  @IsOptional()
  @Matches(/^rediss?:\/\/\S+$/, { message: 'must be a redis:// or rediss:// URL' })
  REDIS_URL?: string;

  /**
   * Redis through Sentinel, for high availability: the Sentinels as `host:port,host:port,...`.
   * Every connection then asks them where the primary of REDIS_SENTINEL_NAME is, and follows
   * a failover. REDIS_URL, if also set, gives only the primary's credentials and database.
   */
  @IsOptional()
  @Matches(/^[A-Za-z0-9.\-[\]:]+:\d{1,5}(,[A-Za-z0-9.\-[\]:]+:\d{1,5})*$/, {
    message: 'must be a comma-separated list of host:port',
  })
  REDIS_SENTINELS?: string;

  /** The name the Sentinels monitor the primary under (`sentinel monitor <name> ...`). */
  @IsOptional()
  @Matches(/^[A-Za-z0-9._-]{1,64}$/, { message: 'must be a Sentinel master name' })
  REDIS_SENTINEL_NAME = 'mayak';

  /** A file holding the database password (a Docker secret, say), put into DATABASE_URL. */
  @IsOptional()
  @IsString()
  DATABASE_PASSWORD_FILE?: string;

  /**
   * A PostgreSQL streaming replica (hot standby) of DATABASE_URL's database. Statistics read
   * from it, each answer in one snapshot, so the primary keeps its connections for the day's
   * work; an answer may be seconds stale, never inconsistent. DATABASE_PASSWORD_FILE's
   * password goes into it too. If it cannot be reached, statistics read from the primary.
   */
  @IsOptional()
  @Matches(/^postgres(ql)?:\/\/\S+$/, { message: 'must be a postgres:// URL' })
  DATABASE_REPLICA_URL?: string;

  /** A file holding the Redis password, put into REDIS_URL. */
  @IsOptional()
  @IsString()
  REDIS_PASSWORD_FILE?: string;

  @Transform(toInt)
  @IsInt()
  @Min(2)
  @Max(200)
  DATABASE_POOL_SIZE = 10;

  /**
   * How keys are held. `sealed` (the production default): one root secret, rebuilt from k of
   * n key holders' shares, in process memory only. `file`: keys in files beside the data, for
   * the quick start and tests; a seized disk decrypts everything, so production refuses it.
   */
  @IsOptional()
  @IsIn(['file', 'sealed'])
  KEY_CUSTODY?: 'file' | 'sealed';

  /**
   * Sealed custody: a credential every Mayak process of one installation shares (base64 of 32
   * bytes, or NODE_CREDENTIAL_FILE). A sealed process proves it to get the root secret from an
   * unsealed peer; it is not itself a key to any data.
   */
  @IsOptional()
  @Matches(/^[A-Za-z0-9+/]{43}=$/, { message: 'must be 32 bytes, base64-encoded' })
  NODE_CREDENTIAL?: string;

  @IsOptional()
  @IsString()
  NODE_CREDENTIAL_FILE?: string;

  /** Sealed custody: key holders' partial shares are forgotten after this long without a new one. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(3600)
  UNSEAL_SHARE_TTL_SECONDS = 600;

  /**
   * How often the worker rotates the master key (and the audit-chain key), in days; 0 turns
   * the schedule off (`npm run cli -- rotate-keys` still works). Monthly by default.
   */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(3650)
  KEY_ROTATION_DAYS = 30;

  /**
   * How long backups are kept, in days. A master key replaced by a rotation is destroyed this
   * long after it: from then on no backup taken under it decrypts anything, which is how an
   * erasure reaches backups. Keep backups no longer than this.
   */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(3650)
  BACKUP_RETENTION_DAYS = 30;

  /** Base64 of 32 random bytes; or MASTER_KEY_FILE naming a file that holds it. */
  @IsOptional()
  @Matches(/^[A-Za-z0-9+/]{43}=$/, { message: 'must be 32 bytes, base64-encoded' })
  MASTER_KEY?: string;

  @IsOptional()
  @IsString()
  MASTER_KEY_FILE?: string;

  /** The key of the keyed hash that recognises repeat callers (base64 of 32 bytes). */
  @IsOptional()
  @Matches(/^[A-Za-z0-9+/]{43}=$/, { message: 'must be 32 bytes, base64-encoded' })
  CALLER_HASH_KEY?: string;

  @IsOptional()
  @IsString()
  CALLER_HASH_KEY_FILE?: string;

  /**
   * The age public keys `backup` encrypts to when given none (one a line, age's recipients
   * file format): the key holders' keys or a backup key, never a private key.
   */
  @IsOptional()
  @IsString()
  BACKUP_RECIPIENTS_FILE?: string;

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL = 'info';

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(24 * 60)
  SESSION_IDLE_MINUTES = 30;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(72)
  SESSION_ABSOLUTE_HOURS = 12;

  /**
   * How long the API may answer from its memory of a session instead of asking the database.
   * Sign-out, disabling and role changes still end sessions at once (every API process hears
   * of them through NOTIFY); 0 turns the memory off.
   */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(60)
  SESSION_CACHE_SECONDS = 5;

  /**
   * Failed sign-ins for one name from one client address before that address must wait
   * before trying the name again: 1 s, then twice as long after each further failure
   * (SignInThrottle). Other addresses are not slowed: an account is never locked.
   */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(100)
  LOGIN_MAX_FAILURES = 5;

  /** The longest wait a failing address is given, in minutes. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(24 * 60)
  LOGIN_LOCKOUT_MINUTES = 15;

  /**
   * Role grants, exports and break-glass need the password and a code proved this recently
   * (at sign-in or POST /api/auth/reauthenticate), not only a live session (issue 12.4).
   */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(60)
  REAUTH_WINDOW_MINUTES = 5;

  /**
   * Roles that must sign in with a passkey (WebAuthn), not a code: phishing cannot replay it to
   * another site. Comma-separated, or `none`; a session of such a role signed in with a code
   * can only register its first passkey (issue 12.4).
   */
  @IsOptional()
  @Matches(
    /^(none|(volunteer|lawyer|psychologist|responder|coordinator|admin)(,(volunteer|lawyer|psychologist|responder|coordinator|admin))*)$/,
    { message: 'must be roles, comma-separated, or none' },
  )
  PASSKEY_REQUIRED_ROLES = 'admin,coordinator';

  /**
   * The WebAuthn relying party: the domain passkeys are bound to. Default: PUBLIC_URL's host,
   * or `localhost`. Browsers refuse IP addresses here.
   */
  @IsOptional()
  @Matches(/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/, { message: 'must be a domain name' })
  WEBAUTHN_RP_ID?: string;

  /**
   * Origins a passkey may be used from, comma-separated (https://helpline.example). Default:
   * PUBLIC_URL's origin; without it, any port of http(s)://localhost.
   */
  @IsOptional()
  @Matches(/^(https?:\/\/[^\s,/]+)(,https?:\/\/[^\s,/]+)*$/, {
    message: 'must be origins (scheme://host[:port]), comma-separated',
  })
  WEBAUTHN_ORIGINS?: string;

  /**
   * How many times one account may ask, within an hour, whether a phone number ever called,
   * before 429. Using up an hour's lookups notifies the coordinators.
   */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(10000)
  CALLER_LOOKUPS_PER_HOUR = 30;

  /**
   * How many cases one person may decline in a day (UTC) before they may claim no more from
   * the pool that day: claiming, reading and declining in a loop reads case after case.
   * Reaching it notifies the coordinators; a coordinator can still assign them cases.
   */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1000)
  CASE_DECLINES_PER_DAY = 10;

  /**
   * How many consent withdrawals one person may ask for in a day (UTC) before the coordinators
   * are told: a burst of them is how one account would destroy callers' records. The
   * withdrawals still take effect (the callers asked for them).
   */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1000)
  WITHDRAWALS_PER_DAY_NOTIFY = 5;

  /** Sign-in attempts accepted per client address per minute before 429. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(100000)
  LOGIN_RATE_PER_MINUTE = 20;

  /** Behind a reverse proxy: trust its X-Forwarded-For for client addresses (throttling). */
  @Transform(toBool)
  @IsBoolean()
  TRUST_PROXY = false;

  /** Secure flag on the session cookie; defaults to on unless HOST is a loopback address. */
  @IsOptional()
  @Transform(toBool)
  @IsBoolean()
  COOKIE_SECURE?: boolean;

  @IsString()
  @Matches(/^[a-z][a-z0-9_-]{0,31}$/, { message: 'must be a short lowercase name' })
  QUEUE_PREFIX = 'mayak';

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(256)
  WORKER_CONCURRENCY = 16;

  /**
   * API processes on this host, sharing PORT (Node's cluster: the first process accepts and
   * hands connections round-robin to the others, and restarts one that dies). Sessions,
   * their revocation, event streams and unsealing already work across processes (PostgreSQL
   * NOTIFY); for several hosts, run one API per host behind a reverse proxy (docker/).
   */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(64)
  API_PROCESSES = 1;

  /** How long a volunteer keeps seeing the contacts they logged. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(24 * 14)
  VOLUNTEER_CONTACT_WINDOW_HOURS = 24;

  /**
   * How long a colleague has to accept or refuse a case handed over to them before the
   * coordinators' board shows the handover as left unanswered.
   */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(24 * 14)
  HANDOVER_ANSWER_HOURS = 24;

  /** How long a paged tier has to acknowledge an emergency before the next tier is paged. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(86400)
  EMERGENCY_ACK_TIMEOUT_SECONDS = 300;

  /** The address people open Mayak at; links in webhooks point here. Default: http://HOST:PORT. */
  @IsOptional()
  @Matches(/^https?:\/\/[^\s/]+(\/[^\s]*)?$/, { message: 'must be an http(s) URL' })
  PUBLIC_URL?: string;

  /**
   * Hosts a webhook may reach although they resolve to this machine or a private network, and
   * over plain http (a local messenger bridge): host names or addresses, comma-separated.
   * Empty by default: webhooks go over https to public addresses only.
   */
  @IsOptional()
  @Matches(/^[A-Za-z0-9.:[\], -]*$/, {
    message: 'must be host names or addresses, comma-separated',
  })
  WEBHOOK_ALLOWED_HOSTS?: string;

  /** Statistics: no published count may lie between 1 and k − 1. Never below 5. */
  @Transform(toInt)
  @IsInt()
  @Min(5)
  @Max(1000)
  STATS_K = 10;

  /**
   * Statistics: the most CPU time, in ms, disclosure control may spend on one answer. A
   * breakdown that cannot be protected within it is withheld (every cell suppressed) rather
   * than stall every other request of the API.
   */
  @Transform(toInt)
  @IsInt()
  @Min(10)
  @Max(60_000)
  STATS_PROTECTION_BUDGET_MS = 250;

  /** The time zone whose calendar days, weeks, months and quarters statistics are counted in. */
  @IsString()
  @Matches(/^[A-Za-z_]+(\/[A-Za-z_+-]+)*$/, {
    message: 'must be an IANA time zone such as Europe/Moscow',
  })
  STATS_TIMEZONE = 'Europe/Moscow';

  /**
   * An outside witness of the audit trail: its head (position, hash, the time it was sent;
   * nothing personal) is POSTed here, signed like the staff webhooks, so that entries cut off
   * the end are noticed. HTTPS, or HTTP to this machine only.
   */
  @IsOptional()
  @Matches(/^https?:\/\/[^\s/@]+(\/\S*)?$/, {
    message: 'must be an http(s) URL without credentials',
  })
  AUDIT_WITNESS_URL?: string;

  /** The HMAC secret the witness checks signatures with; or AUDIT_WITNESS_SECRET_FILE. */
  @IsOptional()
  @IsString()
  @MinLength(16, { message: 'AUDIT_WITNESS_SECRET must be at least 16 characters' })
  AUDIT_WITNESS_SECRET?: string;

  @IsOptional()
  @IsString()
  AUDIT_WITNESS_SECRET_FILE?: string;

  /** How often the worker sends the head to the witness; 0: only `verify-audit --witness`. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(7 * 24 * 60)
  AUDIT_WITNESS_INTERVAL_MINUTES = 60;

  /** A sent outbox row not done after this long is sent again (Redis lost it, say). */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(86400)
  OUTBOX_SWEEP_AFTER_SECONDS = 15;

  get keyCustody(): 'file' | 'sealed' {
    return this.KEY_CUSTODY ?? (this.NODE_ENV === 'production' ? 'sealed' : 'file');
  }

  /** The owner's connection, for migrations: DATABASE_MIGRATION_URL, else DATABASE_URL. */
  get migrationUrl(): string | undefined {
    return this.DATABASE_MIGRATION_URL ?? this.DATABASE_URL;
  }

  get publicUrl(): string {
    return (
      this.PUBLIC_URL ??
      `http://${this.HOST.includes(':') ? `[${this.HOST}]` : this.HOST}:${this.PORT}`
    ).replace(/\/$/, '');
  }

  get webhookAllowedHosts(): string[] {
    return (this.WEBHOOK_ALLOWED_HOSTS ?? '')
      .split(',')
      .map((h) =>
        h
          .trim()
          .toLowerCase()
          .replace(/^\[|\]$/g, ''),
      )
      .filter(Boolean);
  }

  /** The roles that must sign in with a passkey (PASSKEY_REQUIRED_ROLES). */
  get passkeyRequiredRoles(): string[] {
    if (this.PASSKEY_REQUIRED_ROLES === 'none') return [];
    return this.PASSKEY_REQUIRED_ROLES.split(',')
      .map((r) => r.trim())
      .filter(Boolean);
  }

  /** WEBAUTHN_RP_ID, else PUBLIC_URL's host, else localhost. */
  get webauthnRpId(): string {
    if (this.WEBAUTHN_RP_ID) return this.WEBAUTHN_RP_ID;
    return this.PUBLIC_URL ? new URL(this.PUBLIC_URL).hostname : 'localhost';
  }

  /**
   * Whether a passkey may be used from `origin` (what the browser wrote into the signed client
   * data): one of WEBAUTHN_ORIGINS, else PUBLIC_URL's origin, else any port of
   * http(s)://localhost, which only a page on this machine can be.
   */
  webauthnOriginAllowed(origin: string): boolean {
    if (this.WEBAUTHN_ORIGINS) return this.WEBAUTHN_ORIGINS.split(',').includes(origin);
    if (this.PUBLIC_URL) return new URL(this.PUBLIC_URL).origin === origin;
    return /^https?:\/\/localhost(:\d{1,5})?$/.test(origin);
  }

  get cookieSecure(): boolean {
    return this.COOKIE_SECURE ?? !isLoopback(this.HOST);
  }
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const KNOWN = Object.keys(new AppConfig()).concat([
  'DATABASE_URL',
  'DATABASE_MIGRATION_URL',
  'DATABASE_MIGRATION_PASSWORD_FILE',
  'REDIS_URL',
  'REDIS_SENTINELS',
  'MASTER_KEY',
  'MASTER_KEY_FILE',
  'CALLER_HASH_KEY',
  'CALLER_HASH_KEY_FILE',
  'COOKIE_SECURE',
  'DATABASE_PASSWORD_FILE',
  'DATABASE_REPLICA_URL',
  'PUBLIC_URL',
  'WEBHOOK_ALLOWED_HOSTS',
  'WEBAUTHN_RP_ID',
  'WEBAUTHN_ORIGINS',
  'REDIS_PASSWORD_FILE',
  'KEY_CUSTODY',
  'NODE_CREDENTIAL',
  'NODE_CREDENTIAL_FILE',
  'BACKUP_RECIPIENTS_FILE',
  'AUDIT_WITNESS_URL',
  'AUDIT_WITNESS_SECRET',
  'AUDIT_WITNESS_SECRET_FILE',
]);

/** Reads and validates the configuration; throws ConfigError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const plain: Record<string, string> = {};
  for (const key of new Set(KNOWN)) {
    const value = env[key];
    if (value !== undefined && value.trim() !== '') plain[key] = value.trim();
  }
  const config = plainToInstance(AppConfig, plain);
  const problems = validateSync(config, { forbidUnknownValues: true }).flatMap(describe);
  if (problems.length > 0) throw new ConfigError(problems);
  if (config.keyCustody === 'file' && config.NODE_ENV === 'production')
    throw new ConfigError([
      'KEY_CUSTODY=file is refused under NODE_ENV=production: keys in files beside the data mean a seized disk decrypts everything. Use KEY_CUSTODY=sealed.',
    ]);
  if (config.keyCustody === 'sealed') {
    const inEnvironment = [
      'MASTER_KEY',
      'MASTER_KEY_FILE',
      'CALLER_HASH_KEY',
      'CALLER_HASH_KEY_FILE',
    ].filter((name) => plain[name] !== undefined);
    if (inEnvironment.length > 0)
      throw new ConfigError([
        `KEY_CUSTODY=sealed takes no key from the environment or a file; unset ${inEnvironment.join(', ')}`,
      ]);
  }
  if (config.DATABASE_URL && config.DATABASE_PASSWORD_FILE)
    config.DATABASE_URL = withPassword(
      config.DATABASE_URL,
      readSecret('DATABASE_PASSWORD_FILE', config.DATABASE_PASSWORD_FILE),
    );
  if (config.DATABASE_REPLICA_URL && config.DATABASE_PASSWORD_FILE)
    config.DATABASE_REPLICA_URL = withPassword(
      config.DATABASE_REPLICA_URL,
      readSecret('DATABASE_PASSWORD_FILE', config.DATABASE_PASSWORD_FILE),
    );
  if (config.DATABASE_MIGRATION_URL && config.DATABASE_MIGRATION_PASSWORD_FILE)
    config.DATABASE_MIGRATION_URL = withPassword(
      config.DATABASE_MIGRATION_URL,
      readSecret('DATABASE_MIGRATION_PASSWORD_FILE', config.DATABASE_MIGRATION_PASSWORD_FILE),
    );
  if (config.AUDIT_WITNESS_SECRET_FILE && !config.AUDIT_WITNESS_SECRET)
    config.AUDIT_WITNESS_SECRET = readSecret(
      'AUDIT_WITNESS_SECRET_FILE',
      config.AUDIT_WITNESS_SECRET_FILE,
    );
  if (config.AUDIT_WITNESS_URL) {
    const witness = new URL(config.AUDIT_WITNESS_URL);
    const problems: string[] = [];
    if (witness.protocol === 'http:' && !isLoopback(witness.hostname.replace(/^\[|\]$/g, '')))
      problems.push('AUDIT_WITNESS_URL must be https:// (plain http only to this machine)');
    if (!config.AUDIT_WITNESS_SECRET)
      problems.push('AUDIT_WITNESS_URL needs AUDIT_WITNESS_SECRET or AUDIT_WITNESS_SECRET_FILE');
    if (problems.length > 0) throw new ConfigError(problems);
  }
  if (config.REDIS_URL && config.REDIS_PASSWORD_FILE)
    config.REDIS_URL = withPassword(
      config.REDIS_URL,
      readSecret('REDIS_PASSWORD_FILE', config.REDIS_PASSWORD_FILE),
    );
  return config;
}

function readSecret(name: string, file: string): string {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (error) {
    throw new ConfigError([
      `${name} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`,
    ]);
  }
}

function withPassword(url: string, password: string): string {
  const parsed = new URL(url);
  parsed.password = encodeURIComponent(password);
  return parsed.toString();
}

/** What a long-running process (api, worker) needs that the launcher would otherwise provide. */
export function requireServices(config: AppConfig): asserts config is AppConfig & {
  DATABASE_URL: string;
} {
  const problems: string[] = [];
  if (!config.DATABASE_URL)
    problems.push('DATABASE_URL is not set (`npm start` provides an embedded PostgreSQL)');
  if (!config.REDIS_URL && !config.REDIS_SENTINELS)
    problems.push(
      'REDIS_URL is not set, nor REDIS_SENTINELS (`npm start` provides a private Redis)',
    );
  if (config.keyCustody === 'file') {
    if (!config.MASTER_KEY && !config.MASTER_KEY_FILE)
      problems.push(
        'MASTER_KEY or MASTER_KEY_FILE is not set (`npm start` generates one under DATA_DIR)',
      );
    if (!config.CALLER_HASH_KEY && !config.CALLER_HASH_KEY_FILE)
      problems.push(
        'CALLER_HASH_KEY or CALLER_HASH_KEY_FILE is not set (`npm start` generates one under DATA_DIR)',
      );
  } else if (!config.NODE_CREDENTIAL && !config.NODE_CREDENTIAL_FILE)
    problems.push(
      'NODE_CREDENTIAL or NODE_CREDENTIAL_FILE is not set (KEY_CUSTODY=sealed; `npm start` generates one under DATA_DIR)',
    );
  if (problems.length > 0) throw new ConfigError(problems);
}

function describe(error: ValidationError): string[] {
  const own = Object.values(error.constraints ?? {}).map((message) =>
    // class-validator prefixes messages with the property name already.
    message.startsWith(error.property) ? message : `${error.property} ${message}`,
  );
  return own.concat((error.children ?? []).flatMap(describe));
}
