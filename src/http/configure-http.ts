import type { NestExpressApplication } from '@nestjs/platform-express';
import { HeraldExceptionFilter } from './herald-exception.filter';
import { jsonBodyErrors } from './json-body-errors';
import { securityHeaders } from './security-headers';
import { setupSwagger } from './swagger';
import { trackHttpConnections } from '../metrics/track-http-connections';
import { HeraldMetrics } from '../notifications/metrics/herald-metrics';

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
  app.use(jsonBodyErrors);
  app.useGlobalFilters(new HeraldExceptionFilter());
  app.disable('x-powered-by');
  // A SHA-1 of every answer buys nothing on an API whose reads are long polls.
  app.set('etag', false);
  setupSwagger(app);
  trackHttpConnections(app.getHttpServer(), app.get(HeraldMetrics).registry);
}
