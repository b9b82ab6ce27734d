import { randomBytes } from 'node:crypto';
import { totpCode } from '@mayak/identity';
import { runMigrations } from '@mayak/platform';
import { freePort } from '@mayak/platform/embedded';
import { HttpClient, initCustody, runApp, settlePasskey, unsealWithShares } from '@mayak/testing';
import { startApi } from './apps';
import { OnCall } from './responders';
import { FaultServices } from './services';

export const VOLUNTEERS = 50;
const LAWYERS = 8;
const PSYCHOLOGISTS = 6;
/** Each lawyer and psychologist takes this many cases; the rest wait in the pool. */
export const CAPACITY = 120;
/** Seconds each tier has to acknowledge: short, so that emergencies climb during a scenario. */
export const ACK_TIMEOUT_SECONDS = 3;

export interface Cast {
  template: string;
  /**
   * Sealed custody, as in production: the node credential every scenario's processes share
   * with the template, and the key holders' shares that unseal them (webhook secrets are
   * sealed with keys derived from the one root secret).
   */
  keys: { KEY_CUSTODY: 'sealed'; NODE_CREDENTIAL: string };
  shares: string[];
  volunteers: Array<{ token: string }>;
  onCall: OnCall[];
}

class SetupApi {
  constructor(readonly baseUrl: string) {}

  async call<T>(
    expected: number,
    method: string,
    path: string,
    body?: unknown,
    token?: string,
  ): Promise<T> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (response.status !== expected)
      throw new Error(`${method} ${path} answered ${response.status}: ${text.slice(0, 300)}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }
}

/** Runs tasks at most `limit` at a time (every sign-in hashes a password). */
async function inBatches<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>) {
  const results: R[] = [];
  for (let i = 0; i < items.length; i += limit)
    results.push(...(await Promise.all(items.slice(i, i + limit).map(fn))));
  return results;
}

/**
 * The people of every scenario, made once in a template database that each scenario copies:
 * an admin and the tier-3 coordinator made at the command line; through the API (each
 * enrolled with its code, its roles confirmed by that coordinator), 50 volunteers, lawyers
 * and psychologists on shift, two tiers of responders and the coordinator on the rota, each
 * on-call person with a webhook to the suite's desk. Everyone signs in here, once: the
 * sessions live in the database, so each copy starts with everyone signed in (a sign-in
 * per scenario would cost minutes of password hashing on two cores, and prove nothing the
 * scenarios are about).
 */
export async function prepareCast(services: FaultServices, deskPort: number): Promise<Cast> {
  const template = 'faults_template';
  await runMigrations(await services.createDatabase(template), {
    appUrl: services.appDatabaseUrl(template),
  });
  const url = services.appDatabaseUrl(template);
  const keys = {
    KEY_CUSTODY: 'sealed' as const,
    NODE_CREDENTIAL: randomBytes(32).toString('base64'),
  };
  const port = await freePort();
  const env: Record<string, string> = {
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(port),
    DATABASE_URL: url,
    REDIS_URL: services.redisUrl,
    QUEUE_PREFIX: 'ftemplate',
    LOG_LEVEL: 'warn',
    LOGIN_RATE_PER_MINUTE: '100000',
    WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
    ...keys,
  };
  const shares = await initCustody({ env });
  // The admin is made at the command line, which takes its keys from an unsealed API.
  const api = await startApi('template-api', env, services.logDir);
  await unsealWithShares(`http://127.0.0.1:${port}`, shares);
  const password = `faults-${randomBytes(12).toString('hex')}`;
  const admin = await runApp(
    'cli',
    ['create-admin', '--username', 'faults.admin', '--password-stdin'],
    env,
    password,
  );
  if (admin.code !== 0) throw new Error(`create-admin failed: ${admin.stderr}`);
  const adminSecret = (JSON.parse(admin.stdout) as { totpSecret: string }).totpSecret;

  try {
    const http = new SetupApi(`http://127.0.0.1:${port}`);
    // The admin and the coordinator sign in with a code once, to register the passkey their
    // roles sign in with (PASSKEY_REQUIRED_ROLES), and go on with the passkey's session.
    const client = new HttpClient(`http://127.0.0.1:${port}`);
    const signIn = async (username: string, secret: string) =>
      (
        await settlePasskey(
          client,
          (
            await http.call<{ token: string }>(200, 'POST', '/api/auth/login', {
              username,
              password,
              totp: totpCode(secret, Date.now()),
            })
          ).token,
          { username, password },
        )
      ).token;
    const adminToken = await signIn('faults.admin', adminSecret);
    // Roles other than volunteer wait for a coordinator when an admin grants them (issue
    // 12.1): the tier-3 coordinator is made at the command line too, and confirms the rest.
    const made = await runApp(
      'cli',
      [
        'create-user',
        '--username',
        'faults.coordinator',
        '--roles',
        'coordinator',
        '--password-stdin',
      ],
      env,
      password,
    );
    if (made.code !== 0) throw new Error(`create-user failed: ${made.stderr}`);
    const coordinatorMade = JSON.parse(made.stdout) as { id: string; totpSecret: string };
    const confirmerToken = await signIn('faults.coordinator', coordinatorMade.totpSecret);
    const person = async (username: string, roles: string[]) => {
      if (username === 'faults.coordinator')
        return { id: coordinatorMade.id, token: confirmerToken };
      const { id, enrolment } = await http.call<{ id: string; enrolment: { code: string } }>(
        201,
        'POST',
        '/api/admin/users',
        { username, roles },
        adminToken,
      );
      // The owner's side: the one-time code sets their password and second factor.
      const { secret } = await http.call<{ secret: string }>(200, 'POST', '/api/auth/enrol', {
        code: enrolment.code,
        password,
      });
      const grants = await http.call<Array<{ id: string; userId: string }>>(
        200,
        'GET',
        '/api/role-grants',
        undefined,
        confirmerToken,
      );
      for (const grant of grants.filter((g) => g.userId === id))
        await http.call(
          204,
          'POST',
          `/api/role-grants/${grant.id}/confirm`,
          undefined,
          confirmerToken,
        );
      return { id, token: await signIn(username, secret) };
    };
    const range = (n: number) =>
      Array.from({ length: n }, (_, i) => String(i + 1).padStart(2, '0'));

    const volunteers = await inBatches(range(VOLUNTEERS), 2, (n) =>
      person(`faults.volunteer.${n}`, ['volunteer']),
    );
    const staff = [
      ...(await inBatches(range(LAWYERS), 2, (n) => person(`faults.lawyer.${n}`, ['lawyer']))),
      ...(await inBatches(range(PSYCHOLOGISTS), 2, (n) =>
        person(`faults.psychologist.${n}`, ['psychologist']),
      )),
    ];
    for (const member of staff)
      await http.call(
        200,
        'PUT',
        '/api/staff/me/availability',
        { onShift: true, capacity: CAPACITY, regions: [] },
        member.token,
      );

    const tiers: Array<[string, 1 | 2 | 3, string]> = [
      ['faults.responder.1a', 1, 'responder'],
      ['faults.responder.1b', 1, 'responder'],
      ['faults.responder.1c', 1, 'responder'],
      ['faults.responder.2a', 2, 'responder'],
      ['faults.responder.2b', 2, 'responder'],
      ['faults.coordinator', 3, 'coordinator'],
    ];
    const onCall: OnCall[] = [];
    for (const [username, tier, role] of tiers) {
      const { id, token } = await person(username, [role]);
      onCall.push({
        userId: id,
        token,
        tier,
        webhookSecret: role === 'responder' ? randomBytes(24).toString('hex') : undefined,
      });
    }
    const coordinator = onCall.find((p) => p.tier === 3)!;
    const now = Date.now();
    for (const p of onCall) {
      await http.call(
        201,
        'POST',
        '/api/rota/shifts',
        {
          userId: p.userId,
          tier: p.tier,
          startsAt: new Date(now - 3_600_000).toISOString(),
          endsAt: new Date(now + 6 * 3_600_000).toISOString(),
        },
        coordinator.token,
      );
      if (p.webhookSecret)
        await http.call(
          200,
          'PUT',
          '/api/staff/me/webhook',
          { url: `http://127.0.0.1:${deskPort}/hook/${p.userId}`, secret: p.webhookSecret },
          p.token,
        );
    }
    for (const tier of [1, 2, 3])
      await http.call(
        200,
        'PUT',
        `/api/rota/tiers/${tier}`,
        { ackTimeoutSeconds: ACK_TIMEOUT_SECONDS },
        coordinator.token,
      );
    return {
      template,
      keys,
      shares,
      volunteers: volunteers.map((v) => ({ token: v.token })),
      onCall,
    };
  } finally {
    await api.stop();
  }
}
