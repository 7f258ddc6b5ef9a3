import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';

/** One webhook request, and what the receiver managed to answer to it. */
export interface RecordedWebhook {
  webhookId: string;
  /** The request's path and query. */
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  receivedAt: number;
  /** The sender's TCP port: names the connection, hence the process, that sent it. */
  remotePort: number;
  /** The status written to the sender; unset while unanswered or when the sender went away first. */
  status?: number;
}

/**
 * A real local HTTP server that records every webhook and answers with whatever status `respond`
 * resolves to, whenever it resolves (so a test can answer slowly, or hold answers back).
 */
export interface RecordingReceiver {
  url: string;
  requests: RecordedWebhook[];
  respond: (request: RecordedWebhook) => number | Promise<number>;
  close(): Promise<void>;
}

/** Starts a recording receiver on 127.0.0.1 at a random port; answers 204 until told otherwise. */
export async function startRecordingReceiver(): Promise<RecordingReceiver> {
  const open = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const recorded: RecordedWebhook = {
        webhookId: String(req.headers['webhook-id']),
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
        receivedAt: Date.now(),
        remotePort: req.socket.remotePort ?? 0,
      };
      receiver.requests.push(recorded);
      open.add(res);
      res.on('close', () => open.delete(res));
      void Promise.resolve(receiver.respond(recorded)).then(
        (status) => {
          if (res.destroyed) return;
          res.on('finish', () => (recorded.status = status));
          res.writeHead(status).end();
        },
        () => res.destroy(),
      );
    });
  });
  const receiver: RecordingReceiver = {
    url: '',
    requests: [],
    respond: () => 204,
    close: async () => {
      for (const res of open) res.destroy();
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return receiver;
}
