import { Module } from '@nestjs/common';
import { StaffAvailabilityService, StaffLoad } from './staff-availability.service';

@Module({
  providers: [StaffAvailabilityService, StaffLoad],
  exports: [StaffAvailabilityService, StaffLoad],
})
export class StaffingModule {}
