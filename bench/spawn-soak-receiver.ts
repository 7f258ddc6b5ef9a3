import { forkReceiver } from './fork-receiver';
import type {
  SoakReceiverMessage,
  SoakReceiverQuestion,
  SoakReceiverReport,
} from './soak-receiver-messages';

/** The soak's receiver child (`soak-receiver.ts`) as the benchmark drives it. */
export interface SoakReceiver {
  pid: number;
  /** The URL of subscription `index`'s path: `http://127.0.0.1:<port>/soak/<index>`. */
  urlOf(index: number): string;
  /** Starts timing first attempts, by minute from `startEpochMs`. */
  start(startEpochMs: number): Promise<void>;
  report(): Promise<SoakReceiverReport>;
  stop(): Promise<void>;
}

/** Which subscription fails, and how often. */
export interface SoakReceiverOptions {
  /** The index whose path answers 500 to every `failEvery`-th request. */
  failingSubscription: number;
  failEvery: number;
}

/** Forks the receiver (through ts-node, like the benchmark) and waits until it listens. */
export async function spawnSoakReceiver(options: SoakReceiverOptions): Promise<SoakReceiver> {
  const child = await forkReceiver<SoakReceiverQuestion, Answer>('soak-receiver.ts', {
    SOAK_FAILING_SUBSCRIPTION: String(options.failingSubscription),
    SOAK_FAIL_EVERY: String(options.failEvery),
  });
  return {
    pid: child.pid,
    urlOf: (index) => `http://127.0.0.1:${child.port}/soak/${index}`,
    start: async (startEpochMs) => {
      await child.ask('start', { startEpochMs });
    },
    report: async () => (await child.ask('report')).report,
    stop: () => child.stop(),
  };
}

type Answer = Exclude<SoakReceiverMessage, { kind: 'listening' }>;
