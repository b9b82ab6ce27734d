import { Controller, Get, Headers, Query, Res } from '@nestjs/common';
import { ApiOkResponse, ApiProduces, ApiQuery, ApiTags } from '@nestjs/swagger';
import { Actor } from '@mayak/identity';
import { StatisticsService, StatsQuery, StatsResult, toCsv } from '@mayak/statistics';
import { FastifyReply } from 'fastify';
import { CurrentActor } from '../http/request-context';
import { StatsQueryPipe } from './stats-query.pipe';

@ApiTags('statistics')
@Controller('stats')
export class StatisticsController {
  constructor(private readonly statistics: StatisticsService) {}

  /** JSON, or the same table as CSV with `Accept: text/csv` or `?format=csv`. */
  @Get()
  @ApiProduces('application/json', 'text/csv')
  @ApiQuery({
    name: 'from',
    schema: { type: 'string', format: 'date' },
    example: '2026-01-01',
    description: 'A calendar date from 2000-01-01 to 2099-12-31',
  })
  @ApiQuery({
    name: 'to',
    schema: { type: 'string', format: 'date' },
    example: '2026-12-31',
    description: 'A calendar date from 2000-01-01 to 2099-12-31, not before from',
  })
  @ApiQuery({ name: 'period', enum: ['day', 'week', 'month', 'quarter'], required: false })
  @ApiQuery({ name: 'groupBy', required: false, example: 'region,topic' })
  @ApiQuery({ name: 'measure', enum: ['contacts', 'cases'], required: false })
  @ApiQuery({ name: 'format', enum: ['json', 'csv'], required: false })
  @ApiOkResponse({
    description:
      'Counts per period and cell; a cell between 1 and k−1 (or one that would reveal one) is suppressed',
    content: {
      'application/json': { schema: { type: 'object' } },
      'text/csv': { schema: { type: 'string' } },
    },
  })
  async get(
    @CurrentActor() actor: Actor,
    @Query(StatsQueryPipe) query: StatsQuery & { format?: string },
    @Headers('accept') accept: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<StatsResult | string> {
    const result = await this.statistics.query(actor, query);
    return wantsCsv(query, accept) ? csvReply(reply, result) : result;
  }
}

function wantsCsv(query: { format?: string }, accept: string | undefined): boolean {
  return (
    query.format === 'csv' || (query.format === undefined && /\btext\/csv\b/.test(accept ?? ''))
  );
}

function csvReply(reply: FastifyReply, result: StatsResult): string {
  void reply.header('content-type', 'text/csv; charset=utf-8');
  void reply.header(
    'content-disposition',
    `attachment; filename="mayak-${result.measure}-${result.period}-${result.from}-${result.to}.csv"`,
  );
  return toCsv(result);
}
