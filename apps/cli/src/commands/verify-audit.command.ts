import { AuditChainer, AuditVerifier } from '@mayak/audit';
import { withCliContext } from '../cli-context';
import { Command } from './command';

export const verifyAuditCommand: Command = {
  name: 'verify-audit',
  usage: 'verify-audit',
  summary: 'check the audit trail hash chain; prints OK or the first broken entry',
  async run() {
    const result = await withCliContext(async (app) => {
      // Link whatever the worker has not linked yet, so that the check covers everything.
      await app.get(AuditChainer).chainPending();
      return app.get(AuditVerifier).verify();
    });
    if (result.ok) {
      const head = result.head ? `; head entry ${result.head.seq} ${result.head.hash}` : '';
      const pending = result.unlinked
        ? `; ${result.unlinked} appended meanwhile, not linked yet`
        : '';
      process.stdout.write(`OK: ${result.entries} entries verified${head}${pending}\n`);
      return 0;
    }
    process.stdout.write(
      `BROKEN at entry ${result.brokenAt}: ${result.problem.replace('_', ' ')} (${result.entries} entries before it verified)\n`,
    );
    return 1;
  },
};
