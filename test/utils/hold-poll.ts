import { request, type ClientRequest, type IncomingMessage } from 'node:http';

/** A long poll sent on a connection of its own, so aborting it closes that connection. */
export interface HeldPoll {
  /** Resolves with the status and parsed body; rejects when aborted. */
  response: Promise<{
    status: number;
    body: { events: { id: string; cursor: string; topic: string }[]; nextCursor: string };
  }>;
  abort(): void;
}

/** Sends `GET path` with `headers` and returns it unanswered. */
export function holdPoll(baseUrl: string, path: string, headers: Record<string, string>): HeldPoll {
  let req!: ClientRequest;
  const response = new Promise<Awaited<HeldPoll['response']>>((resolve, reject) => {
    req = request(`${baseUrl}${path}`, { headers, agent: false }, (res: IncomingMessage) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
  response.catch(() => undefined);
  return { response, abort: () => req.destroy() };
}
