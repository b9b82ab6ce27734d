import { Module } from '@nestjs/common';
import { CallerRegistry } from './caller-registry.service';
import { ContactRecords } from './contact-records.service';
import { VolunteerContactsService } from './volunteer-contacts.service';
import { VolunteerLinkExpiry } from './volunteer-link-expiry.service';

@Module({
  providers: [CallerRegistry, ContactRecords, VolunteerContactsService, VolunteerLinkExpiry],
  exports: [CallerRegistry, ContactRecords, VolunteerContactsService, VolunteerLinkExpiry],
})
export class ContactsModule {}
