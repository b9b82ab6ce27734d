import { Module } from '@nestjs/common';
import { ContactsModule } from '@mayak/contacts';
import { CallerLookupLimit } from './caller-lookup-limit';
import { IntakeService } from './intake.service';

@Module({
  imports: [ContactsModule],
  providers: [IntakeService, CallerLookupLimit],
  exports: [IntakeService],
})
export class IntakeModule {}
