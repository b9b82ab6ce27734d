import { Module } from '@nestjs/common';
import { CallerRegistry } from './caller-registry.service';
import { ContactRecords } from './contact-records.service';
import { VolunteerContactsService } from './volunteer-contacts.service';

@Module({
  providers: [CallerRegistry, ContactRecords, VolunteerContactsService],
  exports: [CallerRegistry, ContactRecords, VolunteerContactsService],
})
export class ContactsModule {}
