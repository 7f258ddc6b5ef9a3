import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { rawResponse } from '../http/raw-http';

/**
 * An AbortSignal that fires when the client closes the connection before the answer is sent:
 * a held poll or stream lets go of its waiter, timer and listeners at once. Watches the Node
 * response, the same under Express and Fastify.
 */
export const ClientGone = createParamDecorator((_data: unknown, context: ExecutionContext) => {
  const response = rawResponse(context.switchToHttp().getResponse<object>());
  const controller = new AbortController();
  response.once('close', () => {
    if (!response.writableFinished) controller.abort();
  });
  return controller.signal;
});
