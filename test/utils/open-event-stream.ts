import type { IncomingHttpHeaders } from 'node:http';
import { request } from 'node:http';

/** One `data:` frame of `GET /v1/events/stream`, with its `id:`. */
export interface StreamedEvent {
  id: string;
  data: { id: string; topic: string; cursor: string; payload: Record<string, unknown> };
}

/** How a stream's response ended. */
export interface StreamEnd {
  /** The server ended the response (the last chunk arrived), rather than the connection dropping. */
  complete: boolean;
  /** Text after the last whole frame: non-empty when the stream stopped mid-frame. */
  partial: string;
  /** What the response or the connection failed with, if anything. */
  error?: Error;
}

/** A stream opened on a connection of its own, read frame by frame as it arrives. */
export interface EventStreamReader {
  /** The status and headers; for an error answer, its JSON body too. */
  response: Promise<{ status: number; headers: IncomingHttpHeaders; body?: unknown }>;
  /** Every event received so far, in order. */
  events: StreamedEvent[];
  /** Comment lines received so far (`connected`, `heartbeat`). */
  comments: string[];
  /** Resolves when the response is over, however it ended. */
  ended: Promise<StreamEnd>;
  /** Drops the connection. */
  close(): void;
}

/**
 * `GET path` with `headers`, parsed as Server-Sent Events. A refused request (not a 200) is read
 * whole and its body parsed as JSON. Rejects `response` only if no answer came at all.
 */
export function openEventStream(
  baseUrl: string,
  path: string,
  headers: Record<string, string>,
): EventStreamReader {
  const events: StreamedEvent[] = [];
  const comments: string[] = [];
  let buffer = '';
  let settle!: (end: StreamEnd) => void;
  const ended = new Promise<StreamEnd>((resolve) => (settle = resolve));
  const req = request(`${baseUrl}${path}`, { headers, agent: false });
  const response = new Promise<Awaited<EventStreamReader['response']>>((resolve, reject) => {
    req.on('error', (error) => {
      reject(error);
      settle({ complete: false, partial: buffer, error });
    });
    req.on('response', (res) => {
      res.setEncoding('utf8');
      const status = res.statusCode ?? 0;
      let failure: Error | undefined;
      res.on('error', (error) => (failure = error));
      res.on('close', () => settle({ complete: res.complete, partial: buffer, error: failure }));
      if (status !== 200) {
        let text = '';
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status, headers: res.headers, body: parseJson(text) }));
        return;
      }
      resolve({ status, headers: res.headers });
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) !== -1) {
          readFrame(buffer.slice(0, end), events, comments);
          buffer = buffer.slice(end + 2);
        }
      });
    });
  });
  response.catch(() => undefined);
  req.end();
  return { response, events, comments, ended, close: () => req.destroy() };
}

function readFrame(frame: string, events: StreamedEvent[], comments: string[]): void {
  let id: string | undefined;
  let data: string | undefined;
  for (const line of frame.split('\n')) {
    if (line.startsWith(':')) comments.push(line.slice(1).trim());
    else if (line.startsWith('id: ')) id = line.slice(4);
    else if (line.startsWith('data: ')) data = line.slice(6);
  }
  if (data !== undefined) {
    events.push({ id: id ?? '', data: JSON.parse(data) as StreamedEvent['data'] });
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
