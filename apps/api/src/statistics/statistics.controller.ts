import { applyDecorators, Controller, Get, Headers, Query, Res } from '@nestjs/common';
import {
  ApiExtraModels,
  ApiOkResponse,
  ApiProduces,
  ApiQuery,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import { Actor } from '@mayak/identity';
import {
  CASE_DIMENSIONS,
  DIMENSION,
  DIMENSIONS,
  StatisticsService,
  StatsQuery,
  StatsResult,
  toCsv,
} from '@mayak/statistics';
import { FastifyReply } from 'fastify';
import { CurrentActor } from '../http/request-context';
import { StatsResponse } from './statistics.dto';
import { StatsQueryPipe } from './stats-query.pipe';

/**
 * Each filter a query parameter named after its dimension, with one value: it picks rows of
 * the breakdown by that dimension (docs/security/statistics-differencing.md).
 */
function ApiStatsFilters(): MethodDecorator {
  const names = [...new Set<string>([...DIMENSIONS, ...CASE_DIMENSIONS])];
  return applyDecorators(
    ...names.map((name) =>
      ApiQuery({
        name,
        required: false,
        description: `A filter: one ${name} code${name in DIMENSION ? ` (${DIMENSION[name as keyof typeof DIMENSION].values.slice(0, 4).join(', ')}, …)` : ''}. More than one value is refused (400): ask for a breakdown by ${name} instead. Month or quarter only.`,
        schema: { type: 'string' },
      }),
    ),
  );
}

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
  @ApiQuery({
    name: 'period',
    enum: ['day', 'week', 'month', 'quarter'],
    required: false,
    description:
      'Day and week give the plain total only; a breakdown (groupBy) or a filter is published by month or quarter. A week is the sum of its published days and a quarter of its published months, suppressed if any of them is.',
  })
  @ApiQuery({
    name: 'groupBy',
    required: false,
    example: 'region,topic',
    description:
      'Dimensions to break the count down by (period month or quarter only). Contacts by two or more of channel, outcome, ageBand and genderIdentity (grouped or filtered) are levels of one protected table per month and combine with no other dimension; a suppressed row there may hide a 0.',
  })
  @ApiQuery({ name: 'measure', enum: ['contacts', 'cases'], required: false })
  @ApiQuery({ name: 'format', enum: ['json', 'csv'], required: false })
  @ApiStatsFilters()
  @ApiExtraModels(StatsResponse)
  @ApiOkResponse({
    description:
      "Counts per period and cell; a cell between 1 and k−1 (or one that would reveal one) is suppressed. excludedWithoutConsent counts every contact of the answer's months without statistics consent, whatever the filter, and is null when suppressed like a cell.",
    content: {
      'application/json': { schema: { $ref: getSchemaPath(StatsResponse) } },
      'text/csv': { schema: { type: 'string' } },
    },
  })
  async get(
    @CurrentActor() actor: Actor,
    @Query(StatsQueryPipe) query: StatsQuery & { format?: string },
    @Headers('accept') accept: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Buffer | string> {
    if (wantsCsv(query, accept)) return csvReply(reply, await this.statistics.export(actor, query));
    // The JSON as the service serialised it (a remembered answer's is kept with it): sent as
    // it is, with the type Fastify gives the JSON it serialises itself.
    const json = await this.statistics.queryJson(actor, query);
    void reply.header('content-type', 'application/json; charset=utf-8');
    return json;
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
