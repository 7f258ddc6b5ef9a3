/**
 * The webhook benchmark's receiver: plain `node:http` on 127.0.0.1 that reads each request's body
 * and answers 204 at once. It runs as a child process (`fork`), so the CPU it burns is its own and
 * the load it puts on the machine is the same for Herald and for the baselines; the benchmark
 * talks to it over IPC (see `webhook-receiver-messages.ts`).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { epochMs } from './epoch-ms';
import type { ReceiverMessage, ReceiverQuestion } from './webhook-receiver-messages';

let answered = 0;
let arrivals: Map<string, number> | undefined;

function send(message: ReceiverMessage): void {
  process.send?.(message);
}

const server = createServer((req, res) => {
  // Stamped before the body is read: the latency measured is publish to first byte here.
  const arrivedAt = epochMs();
  const id = req.headers['webhook-id'];
  if (arrivals && typeof id === 'string' && !arrivals.has(id)) arrivals.set(id, arrivedAt);
  req.resume();
  req.on('end', () => {
    answered += 1;
    res.writeHead(204);
    res.end();
  });
});
// Herald's dispatcher and the baselines keep connections alive; the default 5 s would do too,
// but a longer one keeps sockets from being recycled between phases.
server.keepAliveTimeout = 60_000;

process.on('message', (question: ReceiverQuestion) => {
  switch (question.kind) {
    case 'count':
      send({ seq: question.seq, kind: 'count', answered, at: epochMs() });
      break;
    case 'track':
      arrivals = new Map();
      send({ seq: question.seq, kind: 'track' });
      break;
    case 'arrivals':
      send({ seq: question.seq, kind: 'arrivals', arrivals: [...(arrivals ?? new Map())] });
      arrivals = undefined;
      break;
  }
});
// The benchmark is gone (ended or crashed): nothing is left to answer for.
process.on('disconnect', () => process.exit(0));

server.listen(0, '127.0.0.1', () => {
  send({ kind: 'listening', port: (server.address() as AddressInfo).port });
});
