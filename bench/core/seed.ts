import { runToCompletion } from './apps';
import { RunningStack } from './stack';

/**
 * Seeds through Mayak's own command line (`seed --contacts N`), which writes synthetic
 * contacts shaped like a real helpline's and rebuilds the statistics rollups; with `caller`,
 * every contact is that one caller's (`--caller-stdin`: recognised as intake recognises a
 * repeat caller, their sealed counter moved on and each contact tagged). The stack's API must
 * be running and unsealed: the command line takes its keys from it. Returns why it cannot
 * yet, if so.
 */
export async function seedContacts(
  stack: RunningStack,
  contacts: number,
  log: (line: string) => void,
  caller?: string,
): Promise<string | undefined> {
  log(
    `  seeding ${contacts.toLocaleString('en-US')} contacts${caller ? ' of one caller' : ''} with \`seed\` (rollups included)`,
  );
  const started = Date.now();
  const result = await runToCompletion(
    'cli',
    [
      'seed',
      '--contacts',
      String(contacts),
      '--days',
      '730',
      '--batch',
      '10000',
      ...(caller ? ['--caller-stdin'] : []),
    ],
    { ...stack.env, LOG_LEVEL: 'warn' },
    caller ?? '',
    // Five million contacts and their rollups take a while on two cores.
    Math.max(120_000, contacts * 0.5),
  );
  if (result.code === 2 && /unknown command/.test(result.stderr))
    return 'the command line has no seed command';
  if (result.code === 2 && caller && /caller-stdin/.test(result.stderr))
    return 'the seed command cannot seed one caller (--caller-stdin)';
  if (result.code !== 0)
    throw new Error(`seed failed (${result.code}): ${result.stderr.trim().slice(-300)}`);
  const rate = /contacts: \d+\/\d+ \((\d+)\/s\)\s*$/m.exec(result.stderr.trim())?.[1];
  log(
    `  seeded in ${((Date.now() - started) / 1000).toFixed(0)} s${rate ? ` (contacts at ${rate}/s, then the rollups)` : ''}`,
  );
  // Every table the seed wrote (contacts, their facts, consents, the rollups' marks), not the
  // contacts alone: autovacuum would otherwise vacuum the others during the figure's window,
  // a core's worth of work beside the API on two cores.
  await stack.db.query('VACUUM ANALYZE');
  // And the checkpoint the seed's WAL calls for, now: after 500,000 contacts PostgreSQL ran
  // checkpoints "too frequently" for a minute, writing the seed's pages beside the figure.
  await stack.db.query('CHECKPOINT');
  return undefined;
}
