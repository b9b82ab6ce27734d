import { Module } from '@nestjs/common';
import { ContactsModule } from '@mayak/contacts';
import { ContactSeeder } from './seeding/contact-seeder.service';
import { StatisticsService } from './statistics.service';
import { StatsRollupService } from './stats-rollup.service';

@Module({
  imports: [ContactsModule],
  providers: [StatisticsService, StatsRollupService, ContactSeeder],
  exports: [StatisticsService, StatsRollupService, ContactSeeder],
})
export class StatisticsModule {}
