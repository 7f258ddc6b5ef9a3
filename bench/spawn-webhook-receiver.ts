import { forkReceiver } from './fork-receiver';
import type { ReceiverMessage, ReceiverQuestion } from './webhook-receiver-messages';

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

/** Forks the receiver (through ts-node, like the benchmark) and waits until it listens. */
export async function spawnWebhookReceiver(): Promise<WebhookReceiver> {
  const child = await forkReceiver<ReceiverQuestion, Answer>('webhook-receiver.ts');
  return {
    pid: child.pid,
    url: `http://127.0.0.1:${child.port}/webhooks`,
    count: async () => {
      const { answered, at } = await child.ask('count');
      return { answered, at };
    },
    track: async () => {
      await child.ask('track');
    },
    arrivals: async () => new Map((await child.ask('arrivals')).arrivals),
    stop: () => child.stop(),
  };
}

type Answer = Exclude<ReceiverMessage, { kind: 'listening' }>;
