import { IncomingMessage, ServerResponse } from 'node:http';

/**
 * The Node request under whatever a Nest handler is given: Express's request is an
 * `IncomingMessage` itself, Fastify's request holds one as `raw`.
 */
export function rawRequest(request: object): IncomingMessage {
  if (request instanceof IncomingMessage) return request;
  if ('raw' in request && request.raw instanceof IncomingMessage) return request.raw;
  throw new TypeError('Not an HTTP request of Express or Fastify');
}

/**
 * The Node response under whatever a Nest handler is given: Express's response is a
 * `ServerResponse` itself, Fastify's reply holds one as `raw`. For events and headers only; a
 * route that writes the body itself takes the response with {@link takeOverResponse}.
 */
export function rawResponse(response: object): ServerResponse {
  if (isServerResponse(response)) return response;
  if ('raw' in response && isServerResponse(response.raw)) return response.raw;
  throw new TypeError('Not an HTTP response of Express or Fastify');
}

/**
 * The Node response, for a route that writes its body itself (a stream). Fastify is told to let
 * go of it (`reply.hijack()`), so it neither answers again when the handler returns nor warns;
 * Express never answers for a handler that took `@Res()`.
 */
export function takeOverResponse(response: object): ServerResponse {
  const raw = rawResponse(response);
  if (raw !== response && 'hijack' in response && typeof response.hijack === 'function')
    (response.hijack as () => void).call(response);
  return raw;
}

function isServerResponse(value: unknown): value is ServerResponse {
  return value instanceof ServerResponse;
}
