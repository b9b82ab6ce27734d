import { Module } from '@nestjs/common';
import { ContactsModule } from '@mayak/contacts';
import { IntakeService } from './intake.service';

@Module({ imports: [ContactsModule], providers: [IntakeService], exports: [IntakeService] })
export class IntakeModule {}
