import { Controller, Get, Header, Inject, type OnModuleInit } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { collectDefaultMetrics, type Registry } from 'prom-client';
import { METRICS_REGISTRY } from './metrics.constants';

/** Prometheus metrics: Herald's own and the process's (memory, CPU, open file descriptors). */
@ApiTags('operations')
@Controller('metrics')
export class MetricsController implements OnModuleInit {
  constructor(@Inject(METRICS_REGISTRY) private readonly registry: Registry) {}

  onModuleInit(): void {
    collectDefaultMetrics({ register: this.registry });
  }

  @Get()
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  @ApiOperation({ summary: 'Prometheus metrics' })
  @ApiProduces('text/plain')
  @ApiOkResponse({ description: 'Prometheus text exposition format' })
  scrape(): Promise<string> {
    return this.registry.metrics();
  }
}
