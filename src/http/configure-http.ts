import { HttpAdapterHost } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Registry } from 'prom-client';
import { BODY_LIMIT } from './create-http-adapter';
import { parseJsonBodies } from './json-body-parser';
import { useSecurityHeaders } from './security-headers';
import { setupSwagger } from './swagger';
import { useRequestIds } from '../logging/request-id';
import { logAbortedRequests } from '../logging/request-log';
import { METRICS_REGISTRY } from '../metrics/metrics.constants';
import { trackHttpConnections } from '../metrics/track-http-connections';
import { HeraldExceptionFilter } from '../notifications';

/**
 * Everything HTTP-wide the service sets up on its Nest app (made with `createHttpAdapter` and
 * `bodyParser: false`): the same in production and tests.
 */
export function configureHttp(app: NestFastifyApplication): void {
  const fastify = app.getHttpAdapter().getInstance();
  useRequestIds(fastify);
  logAbortedRequests(fastify);
  parseJsonBodies(fastify, BODY_LIMIT);
  // Before any route is added, so every answer carries them: the parser's refusals and 404s too.
  useSecurityHeaders(fastify);
  // Herald's routes map their own errors; this gives the service's other answers (404s, /health,
  // /metrics, the pages) the same shape.
  app.useGlobalFilters(new HeraldExceptionFilter(app.get(HttpAdapterHost)));
  setupSwagger(app);
  trackHttpConnections(app.getHttpServer(), app.get<Registry>(METRICS_REGISTRY));
}
