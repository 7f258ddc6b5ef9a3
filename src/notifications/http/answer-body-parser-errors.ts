import type { Type } from '@nestjs/common';
import type { AbstractHttpAdapter } from '@nestjs/core';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { API_RESPONSE_HEADERS } from './api-response-headers';
import { bodyParserError } from './body-parser-errors';
import { toErrorBody } from './error-body';
import { isRouteOf, routeMatcher, routeTemplates } from './herald-routes';

/** What the module reads of a Fastify route as it is added (Fastify's own types stay out). */
interface FastifyRouteOptions {
  url: string;
  errorHandler?: (error: unknown, request: object, reply: object) => unknown;
}

interface FastifyInstanceLike {
  addHook(name: 'onRoute', hook: (route: FastifyRouteOptions) => void): unknown;
}

/**
 * Answers the refusals of the host's body parser on `controllers`' routes as Herald's errors
 * (`400 malformed_json`, `413 payload_too_large`, `415 unsupported_media_type`), so a host
 * registers nothing for them either. The parsers run before any route, where a controller's filter
 * cannot see them; what reaches the host's own routes stays the host's.
 *
 * - Express: an error middleware after the body parser (which Nest registers before the modules'
 *   middleware). Called from a module's `configure()`, it comes before Nest's own error handler.
 * - Fastify: an error handler on each of these routes, added as the route is (an `onRoute` hook,
 *   before Nest registers the routes); other errors go on to the handler Nest set.
 */
export function answerBodyParserErrors(
  adapter: AbstractHttpAdapter,
  controllers: readonly Type[],
): void {
  const templates = routeTemplates(controllers);
  const answer = (error: unknown, response: object): void => {
    const body = toErrorBody(error);
    for (const [name, value] of Object.entries(API_RESPONSE_HEADERS))
      adapter.setHeader(response, name, value);
    adapter.reply(response, body, body.statusCode);
  };
  switch (adapter.getType()) {
    case 'express': {
      const isHerald = routeMatcher(templates);
      adapter.use(
        (
          error: unknown,
          request: IncomingMessage & { originalUrl?: string },
          response: ServerResponse,
          next: (error: unknown) => void,
        ) => {
          if (bodyParserError(error) && isHerald(request.originalUrl ?? request.url ?? ''))
            answer(error, response);
          else next(error);
        },
      );
      return;
    }
    case 'fastify':
      adapter.getInstance<FastifyInstanceLike>().addHook('onRoute', (route) => {
        if (!isRouteOf(templates, route.url)) return;
        const previous = route.errorHandler;
        route.errorHandler = (error, request, reply) => {
          if (bodyParserError(error)) return answer(error, reply);
          if (previous) return previous(error, request, reply);
          // Fastify hands what an error handler throws to the next one: Nest's.
          throw error;
        };
      });
      return;
  }
}
