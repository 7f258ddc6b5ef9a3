import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';

/** One request as the receiver got it. */
export interface ReceivedWebhook {
  headers: IncomingHttpHeaders;
  body: string;
  receivedAt: number;
}

/**
 * What the receiver answers: a status (and headers), after `delayMs` if given, or `'hang'` to
 * never answer. A body given as bytes is sent as it is, valid UTF-8 or not.
 */
export type Answer =
  | { status: number; headers?: Record<string, string>; body?: string | Buffer; delayMs?: number }
  | 'hang';

/** A real local HTTP server that records every webhook and answers as told. */
export interface WebhookReceiver {
  url: string;
  received: ReceivedWebhook[];
  /** Decides each answer; default 204. */
  answer: (request: ReceivedWebhook) => Answer;
  close(): Promise<void>;
}

/** Starts a receiver on 127.0.0.1 at a random port. */
export async function startReceiver(path = '/hook'): Promise<WebhookReceiver> {
  const hanging = new Set<import('node:http').ServerResponse>();
  const delayed = new Set<NodeJS.Timeout>();
  const receiver: WebhookReceiver = {
    url: '',
    received: [],
    answer: () => ({ status: 204 }),
    close: async () => {
      for (const timer of delayed) clearTimeout(timer);
      for (const response of hanging) response.destroy();
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request = {
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
        receivedAt: Date.now(),
      };
      receiver.received.push(request);
      const answer = receiver.answer(request);
      if (answer === 'hang') {
        hanging.add(res);
        return;
      }
      const send = () => res.writeHead(answer.status, answer.headers).end(answer.body ?? '');
      if (answer.delayMs === undefined) {
        send();
        return;
      }
      hanging.add(res);
      const timer = setTimeout(() => {
        delayed.delete(timer);
        hanging.delete(res);
        send();
      }, answer.delayMs);
      delayed.add(timer);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`;
  return receiver;
}
