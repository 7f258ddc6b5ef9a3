import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { freePort } from './free-port';
import { TEST_ADMIN_TOKEN, TEST_ENCRYPTION_KEY } from './test-app';
import { TEST_REDIS_URL } from './test-env';

/** `node src/main.ts` (through ts-node) in a process of its own, as an operator runs it. */
export interface HeraldProcess {
  child: ChildProcess;
  /** Where its API answers (nothing answers there when its roles leave `api` out). */
  baseUrl: string;
  /** Everything the process printed so far (stdout and stderr, interleaved). */
  output(): string;
  /** What it printed on stdout alone: its JSON log lines. */
  stdout(): string;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
}

/**
 * Starts the service with `env` on a free port and resolves once it has started: `main.ts` logs its
 * roles after it listens (or, without the `api` role, after it initialises).
 */
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
      HERALD_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
      HERALD_ALLOWED_DESTINATIONS: '127.0.0.0/8',
      TS_NODE_PROJECT: join(root, 'tsconfig.json'),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  let stdout = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => fail('did not start within 30 s'), 30_000);
    function fail(why: string): void {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`Herald ${why}:\n${text}`));
    }
    const read = (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes('Roles: ')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', read);
    child.stderr?.on('data', read);
    void exited.then((code) => fail(`exited with ${code}`));
  });
  return {
    child,
    baseUrl: `http://127.0.0.1:${port}`,
    output: () => text,
    stdout: () => stdout,
    exited,
  };
}
