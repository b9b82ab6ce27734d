import { Module } from '@nestjs/common';
import { ContactsModule } from '@mayak/contacts';
import { EmergencyModule } from '@mayak/emergency';
import { ReferralsModule } from '@mayak/referrals';
import { CallerLookupLimit } from './caller-lookup-limit';
import { IntakeService } from './intake.service';

@Module({
  imports: [ContactsModule, EmergencyModule, ReferralsModule],
  providers: [IntakeService, CallerLookupLimit],
  exports: [IntakeService],
})
export class IntakeModule {}
