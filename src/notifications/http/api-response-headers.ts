import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * The headers every answer of Herald's routes carries, errors included: `nosniff`, so a browser
 * never runs a JSON answer as script or style, and `no-store`, because answers carry API keys,
 * signing secrets and tenants' events that no browser or proxy cache may keep.
 */
export const API_RESPONSE_HEADERS: Readonly<Record<string, string>> = {
  'X-Content-Type-Options': 'nosniff',
  'Cache-Control': 'no-store',
};

/**
 * Middleware the module applies to its own routes, so a host registers nothing. It works on the
 * raw Node request and response, which Nest hands to middleware on Express and on Fastify alike,
 * and runs before guards, so refusals (401, 403, 429) carry the headers too.
 */
export function apiResponseHeaders(
  _request: IncomingMessage,
  response: ServerResponse,
  next: () => void,
): void {
  for (const [name, value] of Object.entries(API_RESPONSE_HEADERS)) response.setHeader(name, value);
  next();
}
