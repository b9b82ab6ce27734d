import { Client } from 'pg';

/**
 * The application's own database role. Migrations run as the owner of the schema; the API,
 * the worker and the operator commands connect as a role that owns nothing and is no
 * superuser, so that it cannot switch the audit trail's guard off (`ALTER TABLE … DISABLE
 * TRIGGER`, `session_replication_role = replica`), truncate or drop tables, or create its
 * own objects. Its rights are plain DML, granted by the owner here and, through default
 * privileges, on whatever a later migration creates.
 */
export class AppRoleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AppRoleError';
  }
}

export interface AppRoleResult {
  role: string;
  /** The role did not exist and was created (with the password from its URL). */
  created: boolean;
}

/** The login role a postgres:// URL connects as. */
export function roleOf(url: string): string {
  return decodeURIComponent(new URL(url).username);
}

/**
 * Makes the role of `appUrl` a login role with exactly the application's rights in the
 * database of `ownerUrl`, connected as the owner (the role migrations run as). Idempotent,
 * and safe when several processes run it at once. Creating the role needs CREATEROLE (the
 * embedded, test and compose owners are superusers); otherwise create it by hand first.
 */
export async function ensureAppRole(ownerUrl: string, appUrl: string): Promise<AppRoleResult> {
  const role = roleOf(appUrl);
  const password = decodeURIComponent(new URL(appUrl).password);
  const client = new Client({ connectionString: ownerUrl, application_name: 'mayak-migrate' });
  await client.connect();
  try {
    const owner = (await client.query<{ owner: string }>(`SELECT current_user AS owner`)).rows[0]
      .owner;
    if (!role || role === owner) return { role: owner, created: false };
    const created = await createRoleIfMissing(client, role, password);
    await assertHarmless(client, role, owner);
    const r = client.escapeIdentifier(role);
    const o = client.escapeIdentifier(owner);
    // Before PostgreSQL 15 every role may create in schema public; from 15 only in new databases.
    await client.query(`REVOKE CREATE ON SCHEMA public FROM PUBLIC`).catch(() => undefined);
    const statements = [
      `GRANT CONNECT ON DATABASE ${client.escapeIdentifier(await currentDatabase(client))} TO ${r}`,
      `GRANT USAGE ON SCHEMA public TO ${r}`,
      `GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${r}`,
      `GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO ${r}`,
      `GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO ${r}`,
      // Whatever a later migration creates (as the owner) is covered without naming it here.
      `ALTER DEFAULT PRIVILEGES FOR ROLE ${o} IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${r}`,
      `ALTER DEFAULT PRIVILEGES FOR ROLE ${o} IN SCHEMA public GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO ${r}`,
      `ALTER DEFAULT PRIVILEGES FOR ROLE ${o} IN SCHEMA public GRANT EXECUTE ON FUNCTIONS TO ${r}`,
      // The audit trail: append entries, append their links into the chain; no UPDATE or
      // DELETE at all, so a change to the guard triggers alone does not open either. The queue
      // of unlinked entries only the owner's triggers write (migration 1767200000000).
      `REVOKE UPDATE, DELETE ON audit_entries FROM ${r}`,
      // Which migrations ran is the owner's business.
      `REVOKE INSERT, UPDATE, DELETE ON schema_migrations FROM ${r}`,
    ];
    // (A schema migrated only part of the way, as upgrade tests make, has no links yet.)
    const hasLinks = (
      await client.query<{ x: boolean }>(
        `SELECT to_regclass('public.audit_links') IS NOT NULL AS x`,
      )
    ).rows[0].x;
    if (hasLinks)
      statements.push(
        `REVOKE UPDATE, DELETE ON audit_links FROM ${r}`,
        `REVOKE INSERT, UPDATE, DELETE ON audit_unlinked FROM ${r}`,
      );
    if (await atLeast(client, 170000)) {
      // PostgreSQL 17+: lets the statistics rebuild ANALYZE the rollups it rewrites (before
      // 17 only the owner may, and PostgreSQL skips it with a warning). Not the audit trail:
      // MAINTAIN includes LOCK TABLE, and nothing of the app's needs it there.
      statements.push(
        `GRANT MAINTAIN ON ALL TABLES IN SCHEMA public TO ${r}`,
        `ALTER DEFAULT PRIVILEGES FOR ROLE ${o} IN SCHEMA public GRANT MAINTAIN ON TABLES TO ${r}`,
        `REVOKE MAINTAIN ON audit_entries FROM ${r}`,
      );
      if (hasLinks) statements.push(`REVOKE MAINTAIN ON audit_links, audit_unlinked FROM ${r}`);
    }
    await client.query('BEGIN');
    try {
      for (const statement of statements) await client.query(statement);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
    const canCreate = await client.query<{ create: boolean }>(
      `SELECT has_schema_privilege($1, 'public', 'CREATE') AS create`,
      [role],
    );
    if (canCreate.rows[0].create)
      throw new AppRoleError(
        `the role ${role} may create objects in schema public, and ${owner} cannot revoke that: ` +
          `run REVOKE CREATE ON SCHEMA public FROM PUBLIC (and from ${role}) as its owner`,
      );
    return { role, created };
  } finally {
    await client.end();
  }
}

async function createRoleIfMissing(client: Client, role: string, password: string) {
  const exists = await client.query(`SELECT 1 FROM pg_roles WHERE rolname = $1`, [role]);
  const r = client.escapeIdentifier(role);
  if (exists.rowCount) {
    // The password is the configured one even after a rotation of the secret. One that may not
    // (no CREATEROLE), or that loses a race with another migrator setting the same, leaves it.
    if (password)
      await client
        .query(`ALTER ROLE ${r} PASSWORD ${client.escapeLiteral(password)}`)
        .catch((error: { code?: string }) => {
          if (error.code !== '42501' && error.code !== 'XX000') throw error;
        });
    return false;
  }
  try {
    await client.query(
      `CREATE ROLE ${r} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS NOINHERIT` +
        (password ? ` PASSWORD ${client.escapeLiteral(password)}` : ''),
    );
    return true;
  } catch (error) {
    const code = (error as { code?: string }).code;
    // Another process created it at the same moment (roles belong to the whole server).
    if (code === '42710' || code === '23505') return false;
    if (code === '42501')
      throw new AppRoleError(
        `the database role ${role} does not exist, and the migration role cannot create it: ` +
          `create it (LOGIN, no other attributes) and run the migration again`,
      );
    throw error;
  }
}

/** Refuses a role that could undo what this is for: a superuser, or one that owns objects. */
async function assertHarmless(client: Client, role: string, owner: string): Promise<void> {
  const { rows } = await client.query<{
    powerful: boolean;
    owns: boolean;
  }>(
    `SELECT (rolsuper OR rolcreaterole OR rolcreatedb OR rolreplication OR rolbypassrls) AS powerful,
            EXISTS (SELECT 1 FROM pg_class c WHERE c.relowner = r.oid)
              OR EXISTS (SELECT 1 FROM pg_namespace n WHERE n.nspowner = r.oid)
              OR EXISTS (SELECT 1 FROM pg_proc p WHERE p.proowner = r.oid)
              OR EXISTS (SELECT 1 FROM pg_database d WHERE d.datname = current_database() AND d.datdba = r.oid)
              OR pg_has_role(r.oid, $2::name, 'MEMBER')
              OR EXISTS (SELECT 1 FROM pg_roles s WHERE s.rolsuper AND pg_has_role(r.oid, s.oid, 'MEMBER'))
              AS owns
       FROM pg_roles r WHERE r.rolname = $1`,
    [role, owner],
  );
  if (rows[0]?.powerful)
    throw new AppRoleError(
      `the application's database role ${role} has superuser, CREATEROLE, CREATEDB, REPLICATION or BYPASSRLS: it must have none`,
    );
  if (rows[0]?.owns)
    throw new AppRoleError(
      `the application's database role ${role} owns objects in this database (or the database, ` +
        `or is a member of their owner or of a superuser): ` +
        `connect the application as a role that owns nothing, and migrate as the owner`,
    );
}

async function currentDatabase(client: Client): Promise<string> {
  return (await client.query<{ db: string }>(`SELECT current_database() AS db`)).rows[0].db;
}

async function atLeast(client: Client, version: number): Promise<boolean> {
  const { rows } = await client.query<{ v: string }>(`SHOW server_version_num`);
  return Number(rows[0].v) >= version;
}
