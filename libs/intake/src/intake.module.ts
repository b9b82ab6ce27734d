import { Module } from '@nestjs/common';
import { ContactsModule } from '@mayak/contacts';
import { ReferralsModule } from '@mayak/referrals';
import { CallerLookupLimit } from './caller-lookup-limit';
import { IntakeService } from './intake.service';

@Module({
  imports: [ContactsModule, ReferralsModule],
  providers: [IntakeService, CallerLookupLimit],
  exports: [IntakeService],
})
export class IntakeModule {}
