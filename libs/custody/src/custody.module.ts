import { Global, Module } from '@nestjs/common';
import { AccessModule } from '@mayak/access';
import { AuditModule } from '@mayak/audit';
import { DURESS_LOCKDOWN, DuressLockdown } from '@mayak/identity';
import { CustodyInitService } from './custody-init.service';
import { CustodyStore } from './custody-store';
import { KeyLoader } from './key-loader.service';
import { KeyRotation } from './key-rotation.service';
import { Keystore } from './keystore';
import { LockdownService } from './lockdown.service';
import { NodeCredential } from './node-credential';
import { PeerLink } from './peer-link.service';
import { RootHolder } from './root-holder';
import { UnsealService } from './unseal.service';

/**
 * Sealed key custody: setting up the shares, unsealing from them or from a peer, lockdown.
 * Global so that sign-in can reach lockdown for a duress password without a module cycle.
 */
const SERVICES = [
  NodeCredential,
  CustodyStore,
  RootHolder,
  Keystore,
  KeyLoader,
  KeyRotation,
  PeerLink,
  UnsealService,
  LockdownService,
  CustodyInitService,
];

@Global()
@Module({
  imports: [AuditModule, AccessModule],
  providers: [
    ...SERVICES,
    {
      provide: DURESS_LOCKDOWN,
      inject: [LockdownService],
      useFactory: (lockdowns: LockdownService): DuressLockdown => ({
        lockdown: (actor) => lockdowns.lockdown(actor, 'duress'),
      }),
    },
  ],
  exports: [...SERVICES, DURESS_LOCKDOWN],
})
export class CustodyModule {}
