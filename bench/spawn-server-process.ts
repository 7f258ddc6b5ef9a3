import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { scrapeMetrics } from './scrape-metrics';

/** A server (`node dist/main.js`) in a child process of its own, so its memory is its alone. */
export interface ServerProcess {
  pid: number;
  /** `http://127.0.0.1:<port>` */
  baseUrl: string;
  /** Asks V8 for a full collection (the child runs with `--expose-gc` and a signal hook). */
  collectGarbage(): void;
  /** The last lines the child printed, for error messages. */
  outputTail(): string;
  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/** How to start the child. */
export interface ServerProcessOptions {
  root: string;
  /** What follows node's flags: the script and its own arguments. */
  entry: string[];
  /** More environment, as an operator would set it. */
  env?: Record<string, string>;
  /** More node flags, such as `--cpu-prof`. */
  nodeFlags?: string[];
  /**
   * Preload the hook {@link ServerProcess.collectGarbage} signals (default true). A preload runs
   * the entry through the ESM loader, which ts-node's CommonJS hook does not reach: a TypeScript
   * entry installs the same hook itself.
   */
  gcHook?: boolean;
  startTimeoutMs?: number;
}

/** SIGUSR2 is one of Nest's shutdown signals; SIGWINCH is free and ignored by default. */
export const GC_SIGNAL = 'SIGWINCH';
// A preload, not a file: `main.js` stays exactly what production runs.
const GC_HOOK = `data:text/javascript,process.on('${GC_SIGNAL}',()=>globalThis.gc())`;
// Nest's shutdown hook re-raises the signal once it has closed the app; with a listener of ours
// still there, that second SIGTERM exits normally, which lets --cpu-prof write its profile.
const EXIT_HOOK = `data:text/javascript,let n=0;process.on('SIGTERM',()=>{if(++n>1)process.exit(0)})`;
const TAIL_LINES = 40;

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

async function waitUntilServing(
  baseUrl: string,
  child: ChildProcess,
  timeoutMs: number,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`the server exited (${child.exitCode ?? child.signalCode}) while starting`);
    }
    try {
      await scrapeMetrics(baseUrl);
      return;
    } catch {
      if (performance.now() > deadline) throw new Error('the server did not start in time');
      await delay(100);
    }
  }
}

/** Starts `node <entry>` with `PORT` set to a free port; waits until it answers `/metrics`. */
export async function spawnServerProcess(options: ServerProcessOptions): Promise<ServerProcess> {
  const port = await freePort();
  const nodeFlags = options.nodeFlags ?? [];
  const baseUrl = `http://127.0.0.1:${port}`;
  const child = spawn(
    process.execPath,
    [
      '--expose-gc',
      ...(options.gcHook === false ? [] : [`--import=${GC_HOOK}`]),
      ...(nodeFlags.includes('--cpu-prof') ? [`--import=${EXIT_HOOK}`] : []),
      ...nodeFlags,
      ...options.entry,
    ],
    {
      cwd: options.root,
      env: {
        // A JSON line per request is an operator's choice, not what the benchmarks measure.
        LOG_LEVEL: 'warn',
        ...process.env,
        ...options.env,
        PORT: String(port),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const lines: string[] = [];
  const keep = (chunk: Buffer) => {
    lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    lines.splice(0, Math.max(0, lines.length - TAIL_LINES));
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const pid = child.pid;
  const stop = async (graceMs = 10_000) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const killed = await Promise.race([exited.then(() => true), delay(graceMs).then(() => false)]);
    if (!killed) {
      child.kill('SIGKILL');
      await exited;
    }
  };
  const outputTail = () => lines.join('\n');
  if (pid === undefined) throw new Error('could not spawn node');
  try {
    await waitUntilServing(baseUrl, child, options.startTimeoutMs ?? 60_000);
  } catch (error) {
    await stop(2_000);
    throw new Error(`${String(error)}; its output:\n${outputTail()}`);
  }
  return {
    pid,
    baseUrl,
    collectGarbage: () => process.kill(pid, GC_SIGNAL),
    outputTail,
    stop,
  };
}
