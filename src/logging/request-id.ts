import type { IncomingMessage } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { currentRequestId } from './service-logger';

/** The header a request id arrives in (from a proxy or client) and is echoed back in. */
export const REQUEST_ID_HEADER = 'x-request-id';

/**
 * What an incoming id may look like to be kept: UUIDs, ULIDs, hex and the usual tracing formats.
 * Anything else (spaces, control characters, a kilobyte of text) could forge or bloat log lines,
 * so it is replaced rather than trusted.
 */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:+=/-]{1,128}$/;

/**
 * The request's id: the incoming `x-request-id` when it is sane, else a new UUID. Fastify calls it
 * for each request (`genReqId`); the id is sent back in `x-request-id` (see {@link useRequestIds}), so a
 * client can quote it when reporting a problem.
 */
export function requestIdOf(request: IncomingMessage): string {
  const incoming = request.headers[REQUEST_ID_HEADER];
  return typeof incoming === 'string' && SANE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
}

/**
 * Sends each request's id back in `x-request-id` (on the Node response, so that streamed answers
 * carry it too) and makes it the `reqId` of the lines logged while its handler runs.
 */
export function useRequestIds(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.raw.setHeader(REQUEST_ID_HEADER, request.id);
    done();
  });
  // After the body is read: the parser's stream events would not carry the id to the handler.
  fastify.addHook('preHandler', (request, _reply, done) => {
    currentRequestId.run(request.id, done);
  });
}
