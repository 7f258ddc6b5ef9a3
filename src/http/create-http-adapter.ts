import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { FastifyBaseLogger } from 'fastify';
import type { Logger } from 'pino';
import { requestIdOf } from '../logging/request-id';
import { RequestLog } from '../logging/request-log';

/**
 * The largest body read: above the largest payload (256 KiB by default) with room for the
 * envelope, so an oversized payload is refused by the publisher with a precise message rather
 * than by the parser.
 */
export const BODY_LIMIT = 1024 * 1024;

/**
 * The longest path parameter Fastify routes (its default is 100): a subscription's uid, up to 256
 * characters, names it in the path, and one too long is refused with a 400 naming it.
 */
export const MAX_PARAM_LENGTH = 1024;

/**
 * The service's HTTP platform: Fastify, writing through the service's logger. Its request line is
 * {@link RequestLog}'s, one per request when it ends, and a request gets no child logger of its
 * own: lines logged on its behalf carry its id as `reqId` instead (see `useRequestIds`).
 */
export function createHttpAdapter(logger: Logger): FastifyAdapter {
  return new FastifyAdapter({
    bodyLimit: BODY_LIMIT,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    loggerInstance: logger,
    logController: new RequestLog(),
    genReqId: requestIdOf,
    childLoggerFactory: (parent: FastifyBaseLogger) => parent,
  });
}
