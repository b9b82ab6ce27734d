import { Global, Module } from '@nestjs/common';
import { AuditChainer, AuditChainRunner } from './audit-chainer.service';
import { AuditReferences } from './audit-reference';
import { AuditSearch } from './audit-search.service';
import { AuditTrail } from './audit-trail.service';
import { AuditVerifier } from './audit-verifier.service';
import { AuditWitness } from './audit-witness.service';

@Global()
@Module({
  providers: [AuditReferences, AuditTrail, AuditSearch, AuditVerifier, AuditChainer, AuditWitness],
  exports: [AuditReferences, AuditTrail, AuditSearch, AuditVerifier, AuditChainer, AuditWitness],
})
export class AuditModule {}

/** The worker links the chain; nobody else runs the timer. */
@Module({ providers: [AuditChainRunner] })
export class AuditChainModule {}
