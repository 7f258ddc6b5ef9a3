import type { ServerResponse } from 'node:http';
import {
  LogController,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import { REQUEST_ID_HEADER } from './request-id';

/** Requests polled by machines every few seconds: logged only at `debug` when they succeed. */
const ROUTINE_PATHS = new Set(['/health', '/metrics']);

/**
 * Fastify's request lines, as the service writes them: none when a request arrives, one when its
 * answer ends (`req`, `res`, `responseTime` in ms), `5xx` at `error`, successful probes and scrapes
 * at `debug`. Fastify calls it from the listener it keeps on every response anyway, so a held poll
 * keeps nothing more for its line while it waits.
 */
export class RequestLog extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    const line = { req: request, res: reply, responseTime: Math.round(reply.elapsedTime) };
    if (error) request.log.error({ ...line, err: error }, 'request errored');
    else if (reply.statusCode >= 500) request.log.error(line, 'request completed');
    else if (isRoutine(request, reply)) request.log.debug(line, 'request completed');
    else request.log.info(line, 'request completed');
  }
}

function isRoutine(request: FastifyRequest, reply: FastifyReply): boolean {
  return reply.statusCode < 400 && ROUTINE_PATHS.has(request.url.split('?')[0] ?? '');
}

/**
 * A line for each request whose client left before its answer ended (an abandoned held poll, a
 * closed event stream), which Fastify's `requestCompleted` never sees: `"msg": "request aborted"`
 * with `req`. One listener function serves every response, so a held poll keeps no closure for it.
 */
export function logAbortedRequests(fastify: FastifyInstance): void {
  const logger = fastify.log;
  function logIfAborted(this: ServerResponse): void {
    if (this.writableFinished) return;
    const request = this.req;
    logger.info(
      {
        req: {
          id: String(this.getHeader(REQUEST_ID_HEADER)),
          method: request.method,
          url: request.url,
          ip: request.socket.remoteAddress,
        },
      },
      'request aborted',
    );
  }
  fastify.addHook('onRequest', (_request, reply, done) => {
    reply.raw.on('close', logIfAborted);
    done();
  });
}
