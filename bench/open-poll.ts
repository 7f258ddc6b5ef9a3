import { type Agent, type ClientRequest, request } from 'node:http';

/** A page of `GET /v1/events`, as much of it as the benchmark reads. */
export interface PolledPage {
  events: { id: string; cursor: string; payload: Record<string, unknown> }[];
  nextCursor: string;
}

/** How a poll ended. */
export interface PollAnswer {
  status: number;
  /** `performance.now()` when the answer's head was parsed. */
  arrivedAt: number;
  body: PolledPage | undefined;
}

/** A long poll in flight on a socket of its own. */
export interface OpenPoll {
  /** Resolves when the socket has connected. */
  connected: Promise<void>;
  /** Resolves with the answer; rejects on a socket error or after {@link OpenPoll.abort}. */
  answer: Promise<PollAnswer>;
  /** Closes the socket, as a client that goes away would. */
  abort(): void;
}

/** Where and how to poll. */
export interface PollTarget {
  baseUrl: string;
  token: string;
  /** `keepAlive: true, maxSockets: Infinity`: every poll in flight gets its own socket. */
  agent: Agent;
  /**
   * Loopback source address. Each 127.x address has its own ephemeral ports, so tens of
   * thousands of short-lived connections never run out of them.
   */
  localAddress?: string;
}

/** Sends `GET /v1/events?<query>` and returns it unanswered. */
export function openPoll(target: PollTarget, query: string): OpenPoll {
  let req!: ClientRequest;
  let onConnect!: () => void;
  const socketConnected = new Promise<void>((resolve) => (onConnect = resolve));
  const answer = new Promise<PollAnswer>((resolve, reject) => {
    req = request(
      `${target.baseUrl}/v1/events?${query}`,
      {
        headers: { authorization: `Bearer ${target.token}` },
        agent: target.agent,
        localAddress: target.localAddress,
      },
      (res) => {
        const arrivedAt = performance.now();
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('error', reject);
        res.on('end', () => {
          let body: PolledPage | undefined;
          try {
            body = JSON.parse(text) as PolledPage;
          } catch {
            body = undefined;
          }
          resolve({ status: res.statusCode ?? 0, arrivedAt, body });
        });
      },
    );
    req.on('error', reject);
    req.on('socket', (socket) => {
      if (socket.connecting) socket.once('connect', onConnect);
      else onConnect();
    });
    req.end();
  });
  answer.catch(() => undefined);
  // A poll that fails before connecting rejects here too, rather than never connecting.
  const connected = Promise.race([socketConnected, answer.then(() => undefined)]);
  connected.catch(() => undefined);
  return { connected, answer, abort: () => req.destroy() };
}
