import { startReceiver, type WebhookReceiver } from './webhook-receiver';

/**
 * For a describe block: returns a function that starts a webhook receiver, and closes every
 * receiver it started after each test, so no test leaves a listening socket or a hung request.
 */
export function useReceivers(): (path?: string) => Promise<WebhookReceiver> {
  const started: WebhookReceiver[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((receiver) => receiver.close()));
  });
  return async (path) => {
    const receiver = await startReceiver(path);
    started.push(receiver);
    return receiver;
  };
}
