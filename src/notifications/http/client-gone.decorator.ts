import type { ServerResponse } from 'node:http';
import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { rawResponse } from './raw-http';

/** Where a response keeps the controller its 'close' listener aborts. */
const CONTROLLER = Symbol('clientGone');

type WatchedResponse = ServerResponse & { [CONTROLLER]?: AbortController };

/** One listener function for every watched response, so a held request keeps no closure for it. */
function abortIfUnfinished(this: WatchedResponse): void {
  if (!this.writableFinished) this[CONTROLLER]?.abort();
}

/**
 * The request's one AbortController: aborted when the client closes the connection before the
 * answer is sent, so a held poll or stream lets go of its waiter and listeners at once. Whoever
 * holds the request open may abort it for a reason of its own (a revoked key, see `ApiKeyHolds`),
 * so a held request carries one signal, not one per reason. Watches the Node response, the same
 * under Express and Fastify.
 */
export const ClientGone = createParamDecorator((_data: unknown, context: ExecutionContext) => {
  const response: WatchedResponse = rawResponse(context.switchToHttp().getResponse<object>());
  const controller = new AbortController();
  response[CONTROLLER] = controller;
  response.once('close', abortIfUnfinished);
  return controller;
});
