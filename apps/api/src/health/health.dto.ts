import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class DependencyHealthResponse {
  @ApiProperty({ enum: ['up', 'down'] }) status!: 'up' | 'down';
  @ApiPropertyOptional() latencyMs?: number;
  @ApiPropertyOptional({ description: 'Up, but set up in a way that can lose work' })
  warning?: string;
}

export class RedisHealthResponse extends DependencyHealthResponse {
  @ApiPropertyOptional({ example: 'noeviction' }) maxmemoryPolicy?: string;
}

export class HealthChecksResponse {
  @ApiProperty({ type: DependencyHealthResponse }) postgres!: DependencyHealthResponse;
  @ApiProperty({ type: RedisHealthResponse }) redis!: RedisHealthResponse;
}

/** GET /api/health: 200 while PostgreSQL answers (ok or degraded), 503 when down. */
export class HealthResponse {
  @ApiProperty({
    enum: ['ok', 'degraded', 'down'],
    description: 'degraded: Redis is down; intake goes on and jobs wait in the outbox',
  })
  status!: 'ok' | 'degraded' | 'down';
  @ApiProperty({ description: 'True while the keys are not in memory: only unsealing works' })
  sealed!: boolean;
  @ApiProperty({ enum: ['file', 'sealed'] }) custody!: 'file' | 'sealed';
  @ApiProperty({ type: HealthChecksResponse }) checks!: HealthChecksResponse;
}
