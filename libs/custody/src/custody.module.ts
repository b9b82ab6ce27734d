import { Global, Module } from '@nestjs/common';
import { AccessModule } from '@mayak/access';
import { AuditModule } from '@mayak/audit';
import { CustodyInitService } from './custody-init.service';
import { CustodyStore } from './custody-store';
import { LockdownService } from './lockdown.service';
import { PeerLink } from './peer-link.service';
import { RootHolder } from './root-holder';
import { UnsealService } from './unseal.service';

/**
 * Sealed key custody: setting up the shares, unsealing from them or from a peer, lockdown.
 * Global so that sign-in can reach lockdown for a duress password without a module cycle.
 */
@Global()
@Module({
  imports: [AuditModule, AccessModule],
  providers: [
    CustodyStore,
    RootHolder,
    PeerLink,
    UnsealService,
    LockdownService,
    CustodyInitService,
  ],
  exports: [CustodyStore, RootHolder, PeerLink, UnsealService, LockdownService, CustodyInitService],
})
export class CustodyModule {}
