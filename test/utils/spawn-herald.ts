import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { TEST_REDIS_URL } from './test-env';
import { TEST_ADMIN_TOKEN } from './test-app';

/** `node src/main.ts` (through ts-node) in a process of its own, as an operator runs it. */
export interface HeraldProcess {
  child: ChildProcess;
  baseUrl: string;
  /** Everything the process printed so far. */
  output(): string;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
}

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  if (typeof address !== 'object' || address === null) throw new Error('no port');
  return address.port;
}

/** Starts the service with `env` on a free port and waits until it listens. */
export async function spawnHerald(
  databaseUrl: string,
  env: Record<string, string> = {},
): Promise<HeraldProcess> {
  const port = await freePort();
  const root = join(__dirname, '..', '..');
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'src/main.ts'], {
    cwd: root,
    env: {
      PATH: process.env.PATH,
      PORT: String(port),
      DATABASE_URL: databaseUrl,
      REDIS_URL: TEST_REDIS_URL,
      HERALD_ADMIN_TOKEN: TEST_ADMIN_TOKEN,
      HERALD_ALLOWED_DESTINATIONS: '127.0.0.0/8',
      TS_NODE_PROJECT: join(root, 'tsconfig.json'),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout?.on('data', (chunk: Buffer) => (text += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  const deadline = Date.now() + 30_000;
  while (!text.includes('Listening on port')) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`Herald did not start:\n${text}`);
    }
    await new Promise((resolve) => child.stdout?.once('data', resolve).once('close', resolve));
  }
  return { child, baseUrl: `http://127.0.0.1:${port}`, output: () => text, exited };
}
