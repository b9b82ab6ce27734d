import { parseArgs } from 'node:util';
import { AuditChainer, AuditVerifier, AuditWitness, AuditWitnessError } from '@mayak/audit';
import { UsageError, withCliContext } from '../cli-context';
import { Command } from './command';

export const verifyAuditCommand: Command = {
  name: 'verify-audit',
  usage: 'verify-audit [--witness]',
  summary:
    'check the audit trail hash chain; prints OK or the first broken entry; --witness also sends the verified head to AUDIT_WITNESS_URL',
  async run(args) {
    const { values } = parseArgs({
      args,
      options: { witness: { type: 'boolean', default: false } },
    });
    const { result, witnessed } = await withCliContext(async (app) => {
      const witness = app.get(AuditWitness);
      if (values.witness && !witness.configured)
        throw new UsageError('--witness needs AUDIT_WITNESS_URL and AUDIT_WITNESS_SECRET');
      // Link whatever the worker has not linked yet, so that the check covers everything.
      await app.get(AuditChainer).chainPending();
      const result = await app.get(AuditVerifier).verify();
      // Never vouch for a broken chain.
      const witnessed =
        values.witness && result.ok
          ? await witness.send(result).catch((error: unknown) => {
              if (error instanceof AuditWitnessError) return error;
              throw error;
            })
          : undefined;
      return { result, witnessed };
    });
    if (result.ok) {
      const head = result.head ? `; head entry ${result.head.seq} ${result.head.hash}` : '';
      const pending = result.unlinked
        ? `; ${result.unlinked} appended meanwhile, not linked yet`
        : '';
      process.stdout.write(`OK: ${result.entries} entries verified${head}${pending}\n`);
      if (witnessed instanceof AuditWitnessError) {
        process.stderr.write(`${witnessed.message}: the head was not witnessed\n`);
        return 1;
      }
      if (witnessed?.sent) process.stdout.write(`head sent to the witness\n`);
      return 0;
    }
    process.stdout.write(
      `BROKEN at entry ${result.brokenAt}: ${result.problem.replace('_', ' ')} (${result.entries} entries before it verified)\n`,
    );
    return 1;
  },
};
