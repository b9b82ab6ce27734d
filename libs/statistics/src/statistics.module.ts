import { Module } from '@nestjs/common';
import { ContactsModule } from '@mayak/contacts';
import { ContactFactsSource } from './contact-facts';
import { RetiredStatisticsSealing } from './retired-sealing';
import { SealedRollups } from './sealed-rollups';
import { ContactSeeder } from './seeding/contact-seeder.service';
import { StatisticsService } from './statistics.service';
import { StatsReads } from './stats-reads';
import { StatsRollupService } from './stats-rollup.service';

@Module({
  imports: [ContactsModule],
  providers: [
    StatisticsService,
    StatsRollupService,
    ContactFactsSource,
    SealedRollups,
    StatsReads,
    RetiredStatisticsSealing,
    ContactSeeder,
  ],
  exports: [StatisticsService, StatsReads, StatsRollupService, ContactFactsSource, ContactSeeder],
})
export class StatisticsModule {}
