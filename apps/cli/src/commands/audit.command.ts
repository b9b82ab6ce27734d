import { parseArgs } from 'node:util';
import { AuditFinding, AuditSearch, CALLER_NUMBER_RECORD, isPseudonymous } from '@mayak/audit';
import { KeyedHash } from '@mayak/platform';
import { UsageError, withCliContext } from '../cli-context';
import { Command } from './command';

/**
 * `audit find`: the audit entries about one record. Entries name contacts, cases, callers and
 * notes only by keyed pseudonym, so only someone holding the keys (this command takes them
 * like any other) can find them; the search is itself audited.
 */
export const auditCommand: Command = {
  name: 'audit',
  usage:
    'audit find (--record-type TYPE --record-id ID | --caller-number NUMBER) [--limit 1000] [--json]',
  summary:
    'the audit entries about one record (contact, case, caller, case_note, user…), or the lookups of one phone number, oldest first; --json: one JSON line per entry',
  async run(args) {
    const [sub, ...rest] = args;
    if (sub !== 'find') throw new UsageError('the only audit subcommand is find');
    const { values } = parseArgs({
      args: rest,
      options: {
        'record-type': { type: 'string' },
        'record-id': { type: 'string' },
        'caller-number': { type: 'string' },
        limit: { type: 'string', default: '1000' },
        json: { type: 'boolean', default: false },
      },
      strict: true,
    });
    const number = values['caller-number'];
    const recordType = number !== undefined ? CALLER_NUMBER_RECORD : values['record-type'];
    const recordId = number !== undefined ? '(the number given)' : values['record-id'];
    if (number !== undefined && (values['record-type'] || values['record-id']))
      throw new UsageError('--caller-number stands instead of --record-type and --record-id');
    if (!recordType || !recordId)
      throw new UsageError('--record-type and --record-id are both required');
    const limit = Number(values.limit);
    if (!Number.isInteger(limit) || limit < 1) throw new UsageError('--limit must be at least 1');
    const found = await withCliContext(async (app) => {
      if (number === undefined) return app.get(AuditSearch).about(recordType, recordId, limit);
      // A lookup is recorded under the hash of the number by the key generation of its day:
      // every generation's hash is searched.
      const hashes = app
        .get(KeyedHash)
        .callerIdentifiers(number)
        .map((h) => h.hash.toString('hex'));
      const all: AuditFinding[] = [];
      for (const hash of hashes)
        all.push(...(await app.get(AuditSearch).about(CALLER_NUMBER_RECORD, hash, limit)));
      return all.sort((a, b) => Number(a.seq) - Number(b.seq)).slice(0, limit);
    });
    if (values.json) {
      for (const entry of found) process.stdout.write(`${JSON.stringify(entry)}\n`);
      return 0;
    }
    process.stdout.write(
      `${found.length} ${found.length === 1 ? 'entry' : 'entries'} about ${recordType} ${recordId}${
        found.length === limit ? ` (the first ${limit}; --limit shows more)` : ''
      }\n`,
    );
    const pseudonymous = isPseudonymous(recordType);
    for (const entry of found) process.stdout.write(`${describe(entry, pseudonymous)}\n`);
    return 0;
  },
};

function describe(e: AuditFinding, pseudonymous: boolean): string {
  return [
    e.seq.padStart(8),
    e.at.toISOString(),
    e.actorId ?? 'system',
    e.action,
    e.outcome,
    e.reason ?? '-',
    ...(e.breakGlass ? ['break-glass'] : []),
    // Written before entries named such records by pseudonym (an upgraded installation).
    ...(pseudonymous && e.reference === 'plain' ? ['(plain id)'] : []),
    ...(e.linked ? [] : ['(not linked yet)']),
  ].join('  ');
}
