import { type ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
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

const START_TIMEOUT_MS = 30_000;

type Answer = Exclude<SoakReceiverMessage, { kind: 'listening' }>;

function waitForPort(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error('the receiver did not start')),
      START_TIMEOUT_MS,
    );
    child.once('exit', (code) => reject(new Error(`the receiver exited (${code}) while starting`)));
    child.on('message', (message: SoakReceiverMessage) => {
      if (message.kind !== 'listening') return;
      clearTimeout(timer);
      resolve(message.port);
    });
  });
}

/** Forks the receiver (through ts-node, like the benchmark) and waits until it listens. */
export async function spawnSoakReceiver(options: SoakReceiverOptions): Promise<SoakReceiver> {
  const child = fork(join(__dirname, 'soak-receiver.ts'), [], {
    execArgv: ['-r', 'ts-node/register/transpile-only'],
    env: {
      ...process.env,
      SOAK_FAILING_SUBSCRIPTION: String(options.failingSubscription),
      SOAK_FAIL_EVERY: String(options.failEvery),
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const pending = new Map<number, (answer: Answer) => void>();
  let seq = 0;
  child.on('message', (message: SoakReceiverMessage) => {
    if (message.kind === 'listening') return;
    pending.get(message.seq)?.(message);
    pending.delete(message.seq);
  });
  const ask = <K extends Answer['kind']>(
    question: Omit<Extract<SoakReceiverQuestion, { kind: K }>, 'seq'>,
  ) =>
    new Promise<Extract<Answer, { kind: K }>>((resolve) => {
      seq += 1;
      pending.set(seq, (answer) => resolve(answer as Extract<Answer, { kind: K }>));
      child.send({ ...question, seq });
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
    urlOf: (index) => `http://127.0.0.1:${port}/soak/${index}`,
    start: async (startEpochMs) => {
      await ask<'start'>({ kind: 'start', startEpochMs });
    },
    report: async () => (await ask<'report'>({ kind: 'report' })).report,
    stop,
  };
}
