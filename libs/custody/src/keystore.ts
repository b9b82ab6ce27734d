import { Injectable } from '@nestjs/common';
import { KeyKind, StoredGeneration } from '@mayak/platform';
import { DataSource, EntityManager } from 'typeorm';

/** PostgreSQL's "relation does not exist": the keystore before its migration has run. */
const UNDEFINED_TABLE = '42P01';

/** How the keystore is read, by the application and by anyone holding a copy of the database. */
export const KEYSTORE_QUERY = `SELECT kind, generation, key_id, wrapped, state FROM key_generations ORDER BY kind, generation`;

export interface KeystoreRow {
  kind: KeyKind;
  generation: number;
  key_id: Buffer;
  wrapped: Buffer | null;
  state: StoredGeneration['state'];
}

export function storedGeneration(row: KeystoreRow): StoredGeneration {
  return {
    kind: row.kind,
    generation: row.generation,
    keyId: row.key_id,
    wrapped: row.wrapped,
    state: row.state,
  };
}

/**
 * The one reader and writer of `key_generations`, the keystore: every key generation that is
 * not derived from the root, wrapped by the keystore key, with its life (active, retiring,
 * destroyed). It holds nothing usable without the root.
 */
@Injectable()
export class Keystore {
  constructor(private readonly db: DataSource) {}

  async rows(manager: EntityManager = this.db.manager): Promise<StoredGeneration[]> {
    try {
      return (await manager.query<KeystoreRow[]>(KEYSTORE_QUERY)).map(storedGeneration);
    } catch (error) {
      if ((error as { code?: string }).code === UNDEFINED_TABLE) return [];
      throw error;
    }
  }

  /** Adds a generation: active, or (generation 0 never used) destroyed from the start. */
  async insert(
    manager: EntityManager,
    row: { kind: KeyKind; generation: number; keyId: Buffer; wrapped: Buffer | null },
    state: 'active' | 'destroyed' = 'active',
  ): Promise<void> {
    await manager.query(
      `INSERT INTO key_generations (kind, generation, key_id, wrapped, state, destroyed_at)
       VALUES ($1, $2, $3, $4, $5, CASE WHEN $5 = 'destroyed' THEN now() END)`,
      [row.kind, row.generation, row.keyId, state === 'destroyed' ? null : row.wrapped, state],
    );
  }

  /** Changes whenever a generation is added or changes state: cheap to poll. */
  async version(manager: EntityManager = this.db.manager): Promise<string> {
    return keystoreVersion(await this.rows(manager));
  }
}

/** What changes whenever a generation is added or changes state, for rows as `rows` gives them. */
export function keystoreVersion(rows: readonly StoredGeneration[]): string {
  return rows.map((r) => `${r.kind}:${r.generation}:${r.state}`).join(',');
}
