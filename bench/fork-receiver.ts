import { type ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';

const START_TIMEOUT_MS = 30_000;

/** A question to a receiver child; `seq` pairs it with its answer. */
interface Question {
  seq: number;
  kind: string;
}

/** What a receiver child sends: `listening` once, then one answer per question. */
type Message<A> = { kind: 'listening'; port: number } | A;

/** A receiver child forked by a benchmark, asked over IPC. */
export interface ForkedReceiver<Q extends Question, A extends Question> {
  pid: number;
  port: number;
  /** Asks the question of `kind` (its other fields in `fields`); resolves with the answer. */
  ask<K extends A['kind'] & Q['kind']>(
    kind: K,
    fields?: Omit<Extract<Q, { kind: K }>, 'seq' | 'kind'>,
  ): Promise<Extract<A, { kind: K }>>;
  /** Disconnects the child, which exits, and waits for it. */
  stop(): Promise<void>;
}

/**
 * Forks `bench/<file>` (through ts-node, like the benchmarks) with `env` added, and waits until it
 * says it listens; a child that does not within 30 s is killed.
 */
export async function forkReceiver<Q extends Question, A extends Question>(
  file: string,
  env: NodeJS.ProcessEnv = {},
): Promise<ForkedReceiver<Q, A>> {
  const child = fork(join(__dirname, file), [], {
    execArgv: ['-r', 'ts-node/register/transpile-only'],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const pending = new Map<number, (answer: A) => void>();
  let seq = 0;
  child.on('message', (message: Message<A>) => {
    if (message.kind === 'listening' || !('seq' in message)) return;
    pending.get(message.seq)?.(message);
    pending.delete(message.seq);
  });
  let port: number;
  try {
    port = await waitForPort(child);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  if (child.pid === undefined) throw new Error(`could not fork ${file}`);
  return {
    pid: child.pid,
    port,
    ask: <K extends A['kind'] & Q['kind']>(
      kind: K,
      fields?: Omit<Extract<Q, { kind: K }>, 'seq' | 'kind'>,
    ) =>
      new Promise<Extract<A, { kind: K }>>((resolve) => {
        seq += 1;
        pending.set(seq, (answer) => resolve(answer as Extract<A, { kind: K }>));
        child.send({ ...fields, kind, seq });
      }),
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.disconnect();
      await exited;
    },
  };
}

function waitForPort(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error('the receiver did not start')),
      START_TIMEOUT_MS,
    );
    child.once('exit', (code) => reject(new Error(`the receiver exited (${code}) while starting`)));
    child.on('message', (message: { kind: string; port?: number }) => {
      if (message.kind !== 'listening' || message.port === undefined) return;
      clearTimeout(timer);
      resolve(message.port);
    });
  });
}
