/**
 * The raw baseline of the long-poll benchmark: the least a Node HTTP server can do to hold polls
 * and answer them all when one event is published (plain `node:http`, no framework, no database,
 * no auth). It speaks just enough of Herald's API for the same measurements to run against it:
 * `GET /v1/events` (held when `after` and a `wait` are given), `POST /v1/events`, `/metrics`.
 * Run as its own process: `PORT=<port> ts-node bench/raw-poll-server.ts`.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { type BarePage as Page, barePollMetrics } from './bare-poll';
import { sendJson } from './send-json';
import { GC_SIGNAL } from './spawn-server-process';

const held = new Set<(page: Page) => void>();
let head = 0;
let openConnections = 0;

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (req.method === 'GET' && url.pathname === '/metrics') {
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    res.end(barePollMetrics(held.size, openConnections));
  } else if (req.method === 'POST' && url.pathname === '/v1/events') {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (text += chunk));
    req.on('end', () => {
      const { topic, payload } = JSON.parse(text) as { topic: string; payload: unknown };
      head += 1;
      const event = {
        id: randomUUID(),
        topic,
        payload,
        cursor: String(head),
        createdAt: new Date().toISOString(),
      };
      sendJson(res, 201, { id: event.id, topic, createdAt: event.createdAt });
      const page = { events: [event], nextCursor: event.cursor };
      for (const answer of [...held]) answer(page);
    });
  } else if (req.method === 'GET' && url.pathname === '/v1/events') {
    const after = url.searchParams.get('after');
    const wait = Number(url.searchParams.get('wait') ?? '30');
    if (after === null || wait <= 0 || Number(after) < head) {
      sendJson(res, 200, { events: [], nextCursor: String(head) });
      return;
    }
    const answer = (page: Page) => {
      clearTimeout(timer);
      held.delete(answer);
      sendJson(res, 200, page);
    };
    const timer = setTimeout(() => answer({ events: [], nextCursor: after }), wait * 1000);
    held.add(answer);
    res.once('close', () => {
      if (held.delete(answer)) clearTimeout(timer);
    });
  } else {
    sendJson(res, 404, { message: 'not found' });
  }
});

server.on('connection', (socket) => {
  openConnections += 1;
  socket.once('close', () => (openConnections -= 1));
});
server.listen(Number(process.env.PORT), '127.0.0.1');
// The benchmark asks for a full collection before it samples memory (node runs with --expose-gc).
process.on(GC_SIGNAL, () => (globalThis as { gc?: () => void }).gc?.());
