import { Controller, Get, Header, Inject, type OnModuleInit } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { collectDefaultMetrics } from 'prom-client';
import { HeraldMetrics } from '../notifications/metrics/herald-metrics';

/** Prometheus metrics: Herald's own and the process's (memory, CPU, open file descriptors). */
@ApiTags('operations')
@Controller('metrics')
export class MetricsController implements OnModuleInit {
  constructor(@Inject(HeraldMetrics) private readonly metrics: HeraldMetrics) {}

  onModuleInit(): void {
    collectDefaultMetrics({ register: this.metrics.registry });
  }

  @Get()
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  @ApiOperation({ summary: 'Prometheus metrics' })
  @ApiProduces('text/plain')
  @ApiOkResponse({ description: 'Prometheus text exposition format' })
  scrape(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}
