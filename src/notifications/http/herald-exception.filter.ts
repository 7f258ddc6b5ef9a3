import {
  type ArgumentsHost,
  Catch,
  type ExceptionFilter,
  Inject,
  Injectable,
  Logger,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { toErrorBody } from './error-body';
import { rawResponse } from './raw-http';

/**
 * Answers every error as `{ statusCode, error, message, code }` (see {@link toErrorBody}), through
 * the host's HTTP adapter, so it works the same on `@nestjs/platform-express` and
 * `@nestjs/platform-fastify`. Herald's controllers carry it themselves: a host registers nothing.
 * A host that wants the same answers for its own routes registers it globally, e.g.
 * `app.useGlobalFilters(new HeraldExceptionFilter(app.get(HttpAdapterHost)))`.
 */
@Catch()
@Injectable()
export class HeraldExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('HeraldExceptionFilter');

  constructor(@Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<object>();
    const body = toErrorBody(exception);
    if (body.statusCode >= 500) {
      this.logger.error(
        exception instanceof Error ? (exception.stack ?? exception.message) : String(exception),
      );
    }
    // A stream that fails after its headers went out can only be cut short.
    const raw = rawResponse(response);
    if (raw.headersSent) {
      raw.end();
      return;
    }
    const adapter = this.adapterHost.httpAdapter;
    // A route that writes its own JSON (GET /v1/events) names its Content-Type ahead; an error
    // answer is the adapter's JSON, typed by the adapter (Fastify warns at every error otherwise).
    // Express's response and Fastify's reply both have removeHeader.
    if ('removeHeader' in response && typeof response.removeHeader === 'function')
      (response as { removeHeader(name: string): void }).removeHeader('content-type');
    // `rate_limited`, `too_many_polls` and `database_unavailable` say how long to wait; HTTP clients
    // look for it here.
    if (typeof body.retryAfter === 'number')
      adapter.setHeader(response, 'Retry-After', String(body.retryAfter));
    adapter.reply(response, body, body.statusCode);
  }
}
