import { AuditChainer } from '@mayak/audit';
import { loadConfig, roleOf } from '@mayak/platform';
import {
  capturedLogger,
  createTestEnvironment,
  runApp,
  startApi,
  RunningApi,
  TestEnvironment,
} from '@mayak/testing';
import { Client } from 'pg';

/**
 * The application connects as a role that is no superuser and owns nothing, so that whoever
 * takes over the application (its code, its credentials) still cannot switch the audit trail's
 * guard off or rewrite the schema. Everything here runs as that role, on a real PostgreSQL.
 */
describe('the application database role', () => {
  let env: TestEnvironment;
  let api: RunningApi;
  let app: Client;

  beforeAll(async () => {
    env = await createTestEnvironment();
    api = await startApi(env);
    app = new Client({ connectionString: env.env.DATABASE_URL });
    await app.connect();
  });
  afterAll(async () => {
    await app?.end();
    await api?.close();
    await env?.dispose();
  });

  const denied = (sql: string) => expect(app.query(sql)).rejects.toMatchObject({ code: '42501' });

  it('the application does not connect as the owner of the schema', async () => {
    const { rows } = await app.query<{ me: string }>(`SELECT current_user AS me`);
    expect(rows[0].me).toBe(roleOf(env.env.DATABASE_URL));
    const [{ owner }] = await env.db.query<Array<{ owner: string }>>(
      `SELECT tableowner AS owner FROM pg_tables WHERE tablename = 'audit_entries'`,
    );
    expect(rows[0].me).not.toBe(owner);
  });

  it('is no superuser, may not create roles or databases, and owns no relation, schema or function', async () => {
    const { rows } = await env.db
      .query<
        Array<{
          rolsuper: boolean;
          rolcreaterole: boolean;
          rolcreatedb: boolean;
          rolbypassrls: boolean;
          relations: number;
          schemas: number;
          functions: number;
          member_of_owner: boolean;
        }>
      >(
        `SELECT r.rolsuper, r.rolcreaterole, r.rolcreatedb, r.rolbypassrls,
              (SELECT count(*)::int FROM pg_class c WHERE c.relowner = r.oid) AS relations,
              (SELECT count(*)::int FROM pg_namespace n WHERE n.nspowner = r.oid) AS schemas,
              (SELECT count(*)::int FROM pg_proc p WHERE p.proowner = r.oid) AS functions,
              pg_has_role(r.oid, (SELECT relowner FROM pg_class WHERE relname = 'audit_entries'), 'MEMBER') AS member_of_owner
         FROM pg_roles r WHERE r.rolname = $1`,
        [roleOf(env.env.DATABASE_URL)],
      )
      .then((rows) => ({ rows }));
    expect(rows).toEqual([
      {
        rolsuper: false,
        rolcreaterole: false,
        rolcreatedb: false,
        rolbypassrls: false,
        relations: 0,
        schemas: 0,
        functions: 0,
        member_of_owner: false,
      },
    ]);
  });

  it('cannot switch triggers off for its session (session_replication_role = replica)', async () => {
    await denied(`SET session_replication_role = replica`);
    await expect(
      app.query(`BEGIN; SET LOCAL session_replication_role = replica; COMMIT`),
    ).rejects.toMatchObject({ code: '42501' });
    await app.query('ROLLBACK').catch(() => undefined);
  });

  it('cannot disable, drop or replace the audit trail guard', async () => {
    await denied(`ALTER TABLE audit_entries DISABLE TRIGGER ALL`);
    await denied(`ALTER TABLE audit_entries DISABLE TRIGGER audit_entries_guard`);
    await denied(`DROP TRIGGER audit_entries_guard ON audit_entries`);
    await denied(
      `CREATE OR REPLACE FUNCTION audit_entries_guard() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$`,
    );
    await denied(`ALTER TABLE audit_entries OWNER TO CURRENT_USER`);
  });

  it('cannot truncate, delete from, drop or alter the audit trail', async () => {
    await denied(`TRUNCATE audit_entries`);
    await denied(`DELETE FROM audit_entries`);
    await denied(`DROP TABLE audit_entries`);
    await denied(`ALTER TABLE audit_entries DROP COLUMN reason`);
    // No column may be updated at all: the links are rows of their own.
    await denied(`UPDATE audit_entries SET reason = 'edited'`);
    // A link, once written, stays; and the queue of unlinked entries is the owner's triggers'
    // alone: taking an entry off it would hide that entry from the chainer.
    await denied(`UPDATE audit_links SET hash = hash`);
    await denied(`DELETE FROM audit_links`);
    await denied(`TRUNCATE audit_links`);
    await denied(`DELETE FROM audit_unlinked`);
    await denied(`TRUNCATE audit_unlinked`);
    await denied(`INSERT INTO audit_unlinked (seq) VALUES (-1)`);
    await denied(`ALTER TABLE audit_entries DISABLE TRIGGER audit_entries_enqueue`);
    await denied(`ALTER TABLE audit_links DISABLE TRIGGER audit_links_dequeue`);
    await denied(`TRUNCATE cases CASCADE`);
    await denied(`DROP TABLE contacts CASCADE`);
  });

  it('cannot create anything in the database: no table, function or schema', async () => {
    await denied(`CREATE TABLE public.intruder (id int)`);
    await denied(`CREATE TABLE intruder (id int)`);
    await denied(`CREATE FUNCTION public.intruder() RETURNS int LANGUAGE sql AS 'SELECT 1'`);
    await denied(`CREATE SCHEMA intruder`);
  });

  it('cannot change which migrations ran', async () => {
    await denied(`DELETE FROM schema_migrations`);
    await denied(`INSERT INTO schema_migrations (timestamp, name) VALUES (1, 'x')`);
  });

  it('still appends audit entries and links them into the chain', async () => {
    await app.query(
      `INSERT INTO audit_entries (actor_id, action, outcome) VALUES (NULL, 'test.app-role', 'allow')`,
    );
    await api.app.get(AuditChainer).chainPending();
    const [{ unlinked }] = await env.db.query<Array<{ unlinked: number }>>(
      `SELECT count(*)::int AS unlinked FROM audit_unlinked`,
    );
    expect(unlinked).toBe(0);
    // The operator command connects as the same role.
    const result = await runApp('cli', ['verify-audit'], env.env);
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/^OK: \d+ entries verified; head entry \d+ [0-9a-f]{64}\n$/);
  });

  it('gets plain read and write rights on a table a later migration creates, without naming it', async () => {
    // As the role migrations run as (the superuser, here): default privileges cover it.
    await env.db.query(`CREATE TABLE later_table (id serial PRIMARY KEY, v text)`);
    await app.query(`INSERT INTO later_table (v) VALUES ('a')`);
    await app.query(`UPDATE later_table SET v = 'b'`);
    expect((await app.query(`SELECT v FROM later_table`)).rows).toEqual([{ v: 'b' }]);
    await app.query(`DELETE FROM later_table`);
    await denied(`TRUNCATE later_table`);
    await denied(`DROP TABLE later_table`);
    await denied(`ALTER TABLE later_table DISABLE TRIGGER ALL`);
  });

  it('an API that connects as the owner or a superuser says at start-up what that gives up', async () => {
    const asApp = capturedLogger('api');
    const appApi = await startApi(env, asApp.logger);
    await appApi.close();
    expect(asApp.text()).not.toMatch(/connects as a superuser or as the schema owner/);

    const asSuperuser = capturedLogger('api');
    const superuserApi = await startApi(
      { ...env, config: loadConfig({ ...env.env, DATABASE_URL: env.superuserUrl }) },
      asSuperuser.logger,
    );
    await superuserApi.close();
    expect(asSuperuser.text()).toMatch(/connects as a superuser or as the schema owner/);
  });
});
