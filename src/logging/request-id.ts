import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';

/** The header a request id arrives in (from a proxy or client) and is echoed back in. */
export const REQUEST_ID_HEADER = 'x-request-id';

/**
 * What an incoming id may look like to be kept: UUIDs, ULIDs, hex and the usual tracing formats.
 * Anything else (spaces, control characters, a kilobyte of text) could forge or bloat log lines,
 * so it is replaced rather than trusted.
 */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:+=/-]{1,128}$/;

/**
 * The request's id: the incoming `x-request-id` when it is sane, else a new UUID. It is set on
 * the response as `x-request-id` too, so a client can quote it when reporting a problem.
 */
export function assignRequestId(request: IncomingMessage, response: ServerResponse): string {
  const incoming = request.headers[REQUEST_ID_HEADER];
  const id =
    typeof incoming === 'string' && SANE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
  response.setHeader(REQUEST_ID_HEADER, id);
  return id;
}
