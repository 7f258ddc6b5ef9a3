import {
  type ArgumentsHost,
  Catch,
  type ExceptionFilter,
  ServiceUnavailableException,
} from '@nestjs/common';
import type { FastifyReply } from 'fastify';

/**
 * Sends a failed readiness check as terminus reports it (`status`, `info`, `error`, `details`),
 * so operators see which dependency is down; the global filter would reduce it to a bare 503.
 */
@Catch(ServiceUnavailableException)
export class HealthCheckFilter implements ExceptionFilter {
  catch(exception: ServiceUnavailableException, host: ArgumentsHost): void {
    host
      .switchToHttp()
      .getResponse<FastifyReply>()
      .code(exception.getStatus())
      .send(exception.getResponse());
  }
}
