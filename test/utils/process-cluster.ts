import { randomBytes } from 'node:crypto';
import { startRecordingReceiver, type RecordingReceiver } from './recording-receiver';
import { startRedisServer, type RedisServer } from './redis-server';
import { spawnHerald, type HeraldProcess } from './spawn-herald';
import { createTestDatabase, type TestDatabase } from './test-database';

/**
 * What a test of several Herald processes stands on: a database and a Redis of its own (Bull's
 * keys are the same in every spawned Herald, so a shared Redis would mix tests), a recording
 * receiver, and the processes it started.
 */
export interface ProcessCluster {
  db: TestDatabase;
  redis: RedisServer;
  receiver: RecordingReceiver;
  /** Every process started so far, in order. */
  processes: HeraldProcess[];
  /** Starts `src/main.ts` with `HERALD_ROLES=roles` and `env` over the cluster's environment. */
  spawn(roles: string, env?: Record<string, string>): Promise<HeraldProcess>;
  /** Kills the processes still running, then closes the receiver, Redis and the database. */
  stop(): Promise<void>;
}

/**
 * Starts the shared parts; `env` goes to every process, beside the cluster's Redis and one
 * encryption key, so each process opens the webhook secrets another sealed.
 */
export async function startProcessCluster(
  env: Record<string, string> = {},
): Promise<ProcessCluster> {
  const db = await createTestDatabase();
  const redis = await startRedisServer();
  const receiver = await startRecordingReceiver();
  const shared = {
    REDIS_URL: redis.url,
    HERALD_ENCRYPTION_KEY: randomBytes(32).toString('hex'),
    ...env,
  };
  const processes: HeraldProcess[] = [];
  return {
    db,
    redis,
    receiver,
    processes,
    async spawn(roles, more = {}) {
      const herald = await spawnHerald(db.url, { ...shared, ...more, HERALD_ROLES: roles });
      processes.push(herald);
      return herald;
    },
    async stop() {
      for (const herald of processes.splice(0)) {
        if (herald.child.exitCode === null && herald.child.signalCode === null) {
          herald.child.kill('SIGKILL');
          await herald.exited;
        }
      }
      await receiver.close();
      await redis.stop();
      await db.drop();
    },
  };
}
