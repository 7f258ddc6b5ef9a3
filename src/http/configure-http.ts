import { HttpAdapterHost } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Registry } from 'prom-client';
import { securityHeaders } from './security-headers';
import { setupSwagger } from './swagger';
import { METRICS_REGISTRY } from '../metrics/metrics.constants';
import { trackHttpConnections } from '../metrics/track-http-connections';
import { HeraldExceptionFilter } from '../notifications';

/**
 * Body bigger than the largest payload (256 KiB by default) plus room for the envelope, so an
 * oversized payload is refused by the publisher with a precise message rather than by the parser.
 */
const BODY_LIMIT = '1mb';

/** Everything HTTP-wide the service sets up on its Nest app: the same in production and tests. */
export function configureHttp(app: NestExpressApplication): void {
  // First, so every answer carries them: the body parser's refusals and 404s included.
  app.use(securityHeaders());
  app.useBodyParser('json', { limit: BODY_LIMIT });
  // Herald's routes map their own errors; this gives the service's other answers (404s, /health,
  // /metrics, the pages) the same shape.
  app.useGlobalFilters(new HeraldExceptionFilter(app.get(HttpAdapterHost)));
  app.disable('x-powered-by');
  // A SHA-1 of every answer buys nothing on an API whose reads are long polls.
  app.set('etag', false);
  setupSwagger(app);
  trackHttpConnections(app.getHttpServer(), app.get<Registry>(METRICS_REGISTRY));
}
