import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import type { HeraldProcess } from './spawn-herald';
import { TEST_ADMIN_TOKEN } from './test-app';
import { TEST_REDIS_URL } from './test-env';

/**
 * Like `spawnHerald`, for roles without `api` (e.g. `HERALD_ROLES=worker`): such a process does
 * not listen, so it is ready when it logs its roles. `baseUrl` is empty.
 */
export async function spawnHeraldHeadless(
  databaseUrl: string,
  env: Record<string, string>,
): Promise<HeraldProcess> {
  const root = join(__dirname, '..', '..');
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'src/main.ts'], {
    cwd: root,
    env: {
      PATH: process.env.PATH,
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
  return { child, baseUrl: '', output: () => text, exited };
}
