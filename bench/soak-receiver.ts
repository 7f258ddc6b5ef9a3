/**
 * The soak's webhook receiver: plain `node:http` on 127.0.0.1 in a child process (`fork`), one
 * path per subscription (`/soak/<index>`). The path of `SOAK_FAILING_SUBSCRIPTION` answers 500 to
 * every `SOAK_FAIL_EVERY`-th request it gets (retries count as requests), the others 204. It keeps,
 * per path, what happened to each event (by the sequence number `s` its payload carries), and times
 * each event's first attempt from its creation (`t`, the publisher's epoch ms in the payload).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { epochMs } from './epoch-ms';
import { MinuteBuckets } from './minute-buckets';
import type {
  SoakReceiverMessage,
  SoakReceiverQuestion,
  SoakSubscriptionCounts,
} from './soak-receiver-messages';

const FAILING = Number(process.env.SOAK_FAILING_SUBSCRIPTION ?? -1);
const FAIL_EVERY = Number(process.env.SOAK_FAIL_EVERY ?? 10);

const NEVER = 0;
const REFUSED = 1;
const SUCCEEDED = 2;

/** One subscription's path: counts, and the state of each event by its sequence number. */
class PathState {
  readonly counts: SoakSubscriptionCounts = {
    requests: 0,
    succeeded: 0,
    refused: 0,
    repeated: 0,
    afterSuccess: 0,
    distinctSucceeded: 0,
  };
  private states = new Uint8Array(1 << 16);

  state(s: number): number {
    return s < this.states.length ? this.states[s] : NEVER;
  }

  set(s: number, value: number): void {
    if (s >= this.states.length) {
      let size = this.states.length;
      while (size <= s) size *= 2;
      const grown = new Uint8Array(size);
      grown.set(this.states);
      this.states = grown;
    }
    this.states[s] = value;
  }
}

const paths = new Map<number, PathState>();
let firstAttempt: MinuteBuckets | undefined;
let unreadable = 0;

function send(message: SoakReceiverMessage): void {
  process.send?.(message);
}

function readEvent(body: string): { s: number; t: number } | undefined {
  try {
    const data = (JSON.parse(body) as { data?: { s?: unknown; t?: unknown } }).data;
    if (typeof data?.s === 'number' && typeof data.t === 'number') return { s: data.s, t: data.t };
  } catch {
    // Counted below as unreadable.
  }
  return undefined;
}

const server = createServer((req, res) => {
  // Stamped before the body is read: the latency is creation to the attempt's first byte here.
  const arrivedAt = epochMs();
  const index = Number(/^\/soak\/(\d+)$/.exec(req.url ?? '')?.[1] ?? -1);
  const path = paths.get(index) ?? new PathState();
  paths.set(index, path);
  const counts = path.counts;
  counts.requests += 1;
  const refuse = index === FAILING && counts.requests % FAIL_EVERY === 0;
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (chunk: string) => (body += chunk));
  req.on('end', () => {
    const event = readEvent(body);
    if (event === undefined) {
      unreadable += 1;
    } else {
      const before = path.state(event.s);
      if (before === NEVER) firstAttempt?.add(event.t, arrivedAt - event.t);
      else counts.repeated += 1;
      if (before === SUCCEEDED) counts.afterSuccess += 1;
      if (!refuse && before !== SUCCEEDED) counts.distinctSucceeded += 1;
      path.set(event.s, refuse ? Math.max(before, REFUSED) : SUCCEEDED);
    }
    if (refuse) counts.refused += 1;
    else counts.succeeded += 1;
    res.writeHead(refuse ? 500 : 204);
    res.end();
  });
});
// Herald's dispatcher keeps connections alive; a long timeout keeps them from being recycled.
server.keepAliveTimeout = 60_000;

process.on('message', (question: SoakReceiverQuestion) => {
  switch (question.kind) {
    case 'start':
      firstAttempt = new MinuteBuckets(question.startEpochMs);
      send({ seq: question.seq, kind: 'start' });
      break;
    case 'report': {
      const indexes = [...paths.keys()].filter((index) => index >= 0).sort((a, b) => a - b);
      send({
        seq: question.seq,
        kind: 'report',
        report: {
          subscriptions: Array.from(
            { length: indexes.length === 0 ? 0 : Math.max(...indexes) + 1 },
            (_, index) => paths.get(index)?.counts ?? new PathState().counts,
          ),
          firstAttempt: firstAttempt?.summaries() ?? [],
          unreadable,
        },
      });
      break;
    }
  }
});
// The benchmark is gone (ended or crashed): nothing is left to answer for.
process.on('disconnect', () => process.exit(0));

server.listen(0, '127.0.0.1', () => {
  send({ kind: 'listening', port: (server.address() as AddressInfo).port });
});
