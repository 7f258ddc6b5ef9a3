import { type ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import type { ReceiverMessage } from './webhook-receiver-messages';

/** The receiver child (`webhook-receiver.ts`) as the benchmark drives it. */
export interface WebhookReceiver {
  pid: number;
  /** `http://127.0.0.1:<port>/webhooks` */
  url: string;
  /** Requests answered 2xx so far, and when (epoch ms, the child's clock) the count was read. */
  count(): Promise<{ answered: number; at: number }>;
  /** Records the first arrival of each `webhook-id` from now on. */
  track(): Promise<void>;
  /** The arrivals since {@link track}, by `webhook-id` (epoch ms), and stops recording. */
  arrivals(): Promise<Map<string, number>>;
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 30_000;

type Answer = Exclude<ReceiverMessage, { kind: 'listening' }>;

function waitForPort(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error('the receiver did not start')),
      START_TIMEOUT_MS,
    );
    child.once('exit', (code) => reject(new Error(`the receiver exited (${code}) while starting`)));
    child.on('message', (message: ReceiverMessage) => {
      if (message.kind !== 'listening') return;
      clearTimeout(timer);
      resolve(message.port);
    });
  });
}

/** Forks the receiver (through ts-node, like the benchmark) and waits until it listens. */
export async function spawnWebhookReceiver(): Promise<WebhookReceiver> {
  const child = fork(join(__dirname, 'webhook-receiver.ts'), [], {
    execArgv: ['-r', 'ts-node/register/transpile-only'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const pending = new Map<number, (answer: Answer) => void>();
  let seq = 0;
  child.on('message', (message: ReceiverMessage) => {
    if (message.kind === 'listening') return;
    pending.get(message.seq)?.(message);
    pending.delete(message.seq);
  });
  const ask = <K extends Answer['kind']>(kind: K) =>
    new Promise<Extract<Answer, { kind: K }>>((resolve) => {
      seq += 1;
      pending.set(seq, (answer) => resolve(answer as Extract<Answer, { kind: K }>));
      child.send({ seq, kind });
    });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.disconnect();
    await exited;
  };
  let port: number;
  try {
    port = await waitForPort(child);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  if (child.pid === undefined) throw new Error('could not fork the receiver');
  return {
    pid: child.pid,
    url: `http://127.0.0.1:${port}/webhooks`,
    count: async () => {
      const { answered, at } = await ask('count');
      return { answered, at };
    },
    track: async () => {
      await ask('track');
    },
    arrivals: async () => new Map((await ask('arrivals')).arrivals),
    stop,
  };
}
