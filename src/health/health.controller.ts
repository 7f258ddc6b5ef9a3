import { Controller, Get, Inject, UseFilters } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  HealthCheck,
  HealthCheckService,
  TypeOrmHealthIndicator,
  type HealthCheckResult,
} from '@nestjs/terminus';
import { HealthCheckFilter } from './health-check.filter';
import { HEALTH_CHECKS_REDIS } from './health.constants';
import { RedisHealthIndicator } from './redis.health';

/** Readiness: Postgres always; Redis where this process's roles need it. */
@ApiTags('operations')
@UseFilters(HealthCheckFilter)
@Controller('health')
export class HealthController {
  constructor(
    @Inject(HealthCheckService) private readonly health: HealthCheckService,
    @Inject(TypeOrmHealthIndicator) private readonly postgres: TypeOrmHealthIndicator,
    @Inject(RedisHealthIndicator) private readonly redis: RedisHealthIndicator,
    @Inject(HEALTH_CHECKS_REDIS) private readonly checksRedis: boolean,
  ) {}

  @Get()
  @HealthCheck()
  @ApiOperation({ summary: 'Readiness of Postgres and Redis (503 when one is down)' })
  check(): Promise<HealthCheckResult> {
    return this.health.check([
      () => this.postgres.pingCheck('postgres', { timeout: 1000 }),
      ...(this.checksRedis ? [() => this.redis.check('redis')] : []),
    ]);
  }
}
