import { Module } from '@nestjs/common';
import { CallerHistoryReader } from './caller-history.service';
import { CallerLinks } from './caller-links';
import { CallerRegistry } from './caller-registry.service';
import { ContactRecords } from './contact-records.service';
import { ContactSealingPass } from './contact-sealing-pass';
import { VolunteerContactsService } from './volunteer-contacts.service';
import { VolunteerLinkExpiry } from './volunteer-link-expiry.service';

@Module({
  providers: [
    CallerHistoryReader,
    CallerLinks,
    CallerRegistry,
    ContactRecords,
    ContactSealingPass,
    VolunteerContactsService,
    VolunteerLinkExpiry,
  ],
  exports: [
    CallerHistoryReader,
    CallerLinks,
    CallerRegistry,
    ContactRecords,
    ContactSealingPass,
    VolunteerContactsService,
    VolunteerLinkExpiry,
  ],
})
export class ContactsModule {}
