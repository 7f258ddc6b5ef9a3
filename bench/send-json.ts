import type { ServerResponse } from 'node:http';

/** Answers a `node:http` request with a JSON body, as the bare baseline servers do. */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}
