import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { promisify } from 'node:util';
import { freePort } from './free-port';

const run = promisify(execFile);

/** A `redis-server` of the test's own, in a child process; never the shared one. */
export interface RedisServer {
  port: number;
  /** `redis://127.0.0.1:<port>` */
  url: string;
  /** Runs one `redis-cli` command against this server; resolves with its trimmed output. */
  cli(...args: string[]): Promise<string>;
  /** SIGKILLs the server (if running) and waits until it has exited. */
  stop(): Promise<void>;
  /** Starts the server again on the same port (after `stop`). */
  start(): Promise<void>;
}

/**
 * Starts `redis-server` with no persistence on `port` (a free one by default) and waits until it
 * accepts connections. `stop()` it in `afterAll`/`afterEach`: it only ever kills its own child.
 */
export async function startRedisServer(port?: number): Promise<RedisServer> {
  const chosen = port ?? (await freePort());
  let child: ChildProcess | undefined;

  async function start(): Promise<void> {
    if (child) throw new Error(`redis-server on ${chosen} is already running`);
    const started = spawn(
      'redis-server',
      ['--port', String(chosen), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child = started;
    let output = '';
    const exited = once(started, 'exit');
    await new Promise<void>((resolve, reject) => {
      let settled = false;
      const timer = setTimeout(() => fail('did not start within 10 s'), 10_000);
      function fail(why: string): void {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        started.kill('SIGKILL');
        if (child === started) child = undefined;
        reject(new Error(`redis-server on ${chosen} ${why}:\n${output}`));
      }
      started.stdout?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (!settled && output.includes('Ready to accept connections')) {
          settled = true;
          clearTimeout(timer);
          resolve();
        }
      });
      started.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
      void exited.then(() => fail('exited'));
    });
  }

  async function stop(): Promise<void> {
    const running = child;
    if (!running) return;
    child = undefined;
    if (running.exitCode === null && running.signalCode === null) {
      const exited = once(running, 'exit');
      running.kill('SIGKILL');
      await exited;
    }
  }

  await start();
  return {
    port: chosen,
    url: `redis://127.0.0.1:${chosen}`,
    cli: async (...args) =>
      (await run('redis-cli', ['-p', String(chosen), ...args], { timeout: 10_000 })).stdout.trim(),
    stop,
    start,
  };
}
