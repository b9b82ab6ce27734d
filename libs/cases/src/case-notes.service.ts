import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { Actor } from '@mayak/identity';
import { AuditTrail } from '@mayak/audit';
import { DecryptionError, EnvelopeCipher, ExactTimes, rowsOf } from '@mayak/platform';
import { DataSource, EntityManager } from 'typeorm';
import { CaseError, CaseException } from './case.exception';
import { addEvent } from './case-facts';
import { CaseTransaction } from './case-transaction';

export interface NoteView {
  id: string;
  authorId: string;
  createdAt: Date;
  /** null when erased (consent withdrawn or retention passed). */
  text: string | null;
  erased: boolean;
}

/**
 * Case notes, each encrypted under its own data key and bound to its row. Notes belong to
 * one case of one service: a psychologist never sees a legal note, even for the same caller.
 */
/**
 * Shreds the notes of these cases inside the caller's transaction: their data keys and
 * ciphertexts go, the rows stay (marked erased, so a reader sees that there was a note). The
 * one function that does it, whoever asks: a consent withdrawn, a retention ended. Returns
 * how many notes were shredded.
 */
export async function shredCaseNotes(
  em: EntityManager,
  caseIds: readonly string[],
  /** The week to record (its Monday in STATS_TIMEZONE, ExactTimes.thisWeek()): not the second. */
  week: Date,
): Promise<number> {
  if (caseIds.length === 0) return 0;
  // The free text of follow-ups and handovers is the case's content as much as its notes.
  for (const table of ['case_follow_ups', 'case_handovers'])
    await em.query(
      `UPDATE ${table} SET dek_wrapped = NULL, note_enc = NULL
        WHERE case_id = ANY($1::uuid[]) AND dek_wrapped IS NOT NULL`,
      [caseIds],
    );
  const result: unknown = await em.query(
    `UPDATE case_notes SET dek_wrapped = NULL, text_enc = NULL, erased_at = $2
      WHERE erased_at IS NULL AND case_id = ANY($1::uuid[]) RETURNING id`,
    [caseIds, week],
  );
  return rowsOf(result).length;
}

@Injectable()
export class CaseNotesService {
  constructor(
    private readonly db: DataSource,
    private readonly tx: CaseTransaction,
    private readonly cipher: EnvelopeCipher,
    private readonly audit: AuditTrail,
    private readonly times: ExactTimes,
  ) {}

  add(actor: Actor, caseId: string, text: string): Promise<{ id: string }> {
    return this.tx.run(actor, 'case:notes:write', caseId, async (em, { row }) => {
      if (row.status === 'closed') throw new CaseException(CaseError.InvalidState);
      const id = await this.write(em, caseId, actor.userId, text);
      await addEvent(em, this.times, caseId, actor.userId, 'note_added', { noteId: id });
      return { id };
    });
  }

  /**
   * Stores a note, encrypted under a data key of its own and bound to its row, inside the
   * caller's transaction; access is the caller's to check. Returns the note's id.
   */
  async write(em: EntityManager, caseId: string, authorId: string, text: string): Promise<string> {
    const id = randomUUID();
    const dek = this.cipher.newDataKey('case_notes', id);
    await em.query(
      `INSERT INTO case_notes (id, case_id, author_id, dek_wrapped, text_enc) VALUES ($1, $2, $3, $4, $5)`,
      [
        id,
        caseId,
        authorId,
        dek.wrapped,
        this.cipher.encrypt(dek, { table: 'case_notes', id, column: 'text' }, text),
      ],
    );
    return id;
  }

  /** That notes exist, by whom and when: no content, no keys touched. */
  async list(caseId: string): Promise<Array<Omit<NoteView, 'text' | 'erased'>>> {
    const rows: Array<{ id: string; author_id: string; created_at: Date }> = await this.db.query(
      `SELECT id, author_id, created_at FROM case_notes WHERE case_id = $1 ORDER BY created_at, id`,
      [caseId],
    );
    return rows.map((r) => ({ id: r.id, authorId: r.author_id, createdAt: r.created_at }));
  }

  /** Only for a reader the policy has already allowed to see this case in full. */
  async read(caseId: string, readerId: string): Promise<NoteView[]> {
    const rows: Array<{
      id: string;
      author_id: string;
      created_at: Date;
      dek_wrapped: Buffer | null;
      text_enc: Buffer | null;
    }> = await this.db.query(
      `SELECT id, author_id, created_at, dek_wrapped, text_enc FROM case_notes WHERE case_id = $1 ORDER BY created_at, id`,
      [caseId],
    );
    const notes: NoteView[] = [];
    for (const row of rows) {
      if (!row.dek_wrapped || !row.text_enc) {
        notes.push({
          id: row.id,
          authorId: row.author_id,
          createdAt: row.created_at,
          text: null,
          erased: true,
        });
        continue;
      }
      try {
        const dek = this.cipher.unwrapDataKey('case_notes', row.id, row.dek_wrapped);
        const text = this.cipher.decrypt(
          dek,
          { table: 'case_notes', id: row.id, column: 'text' },
          row.text_enc,
        );
        notes.push({
          id: row.id,
          authorId: row.author_id,
          createdAt: row.created_at,
          text,
          erased: false,
        });
      } catch (error) {
        if (!(error instanceof DecryptionError)) throw error;
        await this.audit.record({
          actorId: readerId,
          action: 'crypto.decrypt',
          recordType: 'case_note',
          recordId: row.id,
          outcome: 'failure',
          reason: 'integrity',
        });
        throw new CaseException(CaseError.RecordUnreadable);
      }
    }
    return notes;
  }
}
