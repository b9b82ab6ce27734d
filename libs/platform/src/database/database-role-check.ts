import { Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Logger, LOGGER } from '../logging';

/**
 * The application must connect as a role that owns nothing and is no superuser: only then can
 * it not switch the audit trail's guard off or rewrite the schema. `migrate` sets that role up;
 * a deployment that points DATABASE_URL at the owner or a superuser still works, and is told
 * at every start what it gave up.
 */
@Injectable()
export class DatabaseRoleCheck implements OnApplicationBootstrap {
  constructor(
    private readonly db: DataSource,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const [role]: Array<{ superuser: boolean; owned: number }> = await this.db.query(
      `SELECT r.rolsuper AS superuser,
              (SELECT count(*)::int FROM pg_class c WHERE c.relowner = r.oid
                  AND c.relnamespace = 'public'::regnamespace) AS owned
         FROM pg_roles r WHERE r.rolname = current_user`,
    );
    if (role && (role.superuser || role.owned > 0))
      this.logger.warn(
        { superuser: role.superuser, ownedRelations: role.owned },
        'DATABASE_URL connects as a superuser or as the schema owner: this process could disable the audit trail guard. Connect as a role that owns nothing (DATABASE_MIGRATION_URL is for the owner).',
      );
  }
}
