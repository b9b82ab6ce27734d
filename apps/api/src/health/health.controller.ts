import { Controller, Get, Res } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { FastifyReply } from 'fastify';
import { Public } from '../http/public.decorator';
import { HealthResponse } from './health.dto';
import { Health, HealthService } from './health.service';

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(private readonly health: HealthService) {}

  @Public()
  @Get()
  // A 503 with this same body means PostgreSQL is down. It is not documented as its own
  // response: a 503 can also be the usual error body (the server closing), which the
  // document's 5XX already describes for every route.
  @ApiOkResponse({
    type: HealthResponse,
    description: 'PostgreSQL answers; a 503 with this body means it does not',
  })
  async check(@Res({ passthrough: true }) reply: FastifyReply): Promise<Health> {
    const health = await this.health.check();
    if (health.status === 'down') void reply.status(503);
    return health;
  }
}
