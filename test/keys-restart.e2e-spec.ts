import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { createSubscription } from './utils/create-subscription';
import { createTenant, type TestTenant } from './utils/create-tenant';
import { expectEachDelivered } from './utils/expect-each-delivered';
import { expectEventually } from './utils/expect-eventually';
import { parseLogLines } from './utils/parse-log-lines';
import { startRecordingReceiver, type RecordingReceiver } from './utils/recording-receiver';
import { startRedisServer, type RedisServer } from './utils/redis-server';
import { spawnHerald, type HeraldProcess } from './utils/spawn-herald';
import { stopHerald } from './utils/stop-herald';
import { createTestDatabase, type TestDatabase } from './utils/test-database';

/**
 * The default install, as a newcomer runs it: neither HERALD_ADMIN_TOKEN nor HERALD_ENCRYPTION_KEY
 * is set, so the service makes both on its first start and keeps them in HERALD_DATA_DIR. Every
 * later start, after a crash or a clean stop, must read the same ones back: the same token lets
 * the operator in, and the same key opens the webhook secrets sealed before.
 */
describe('restarting without a configured admin token or encryption key', () => {
  let root: string | undefined;
  let dataDir: string;
  let db: TestDatabase | undefined;
  let redis: RedisServer | undefined;
  let receiver: RecordingReceiver | undefined;
  const started: HeraldProcess[] = [];

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'herald-keys-restart-'));
    // Not there yet: the first start makes it, as on a fresh machine.
    dataDir = join(root, 'data');
    db = await createTestDatabase();
    // A Redis of its own: a spawned service uses Bull's default prefix, which another spec's
    // processes on the shared Redis use too.
    redis = await startRedisServer();
    receiver = await startRecordingReceiver();
  });

  afterAll(async () => {
    for (const herald of started) await stopHerald(herald, 'SIGKILL');
    await receiver?.close();
    await redis?.stop();
    await db?.drop();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  async function start(): Promise<HeraldProcess> {
    const herald = await spawnHerald(db!.url, {
      REDIS_URL: redis!.url,
      // Blank counts as unset.
      HERALD_ADMIN_TOKEN: '',
      HERALD_ENCRYPTION_KEY: '',
      HERALD_DATA_DIR: dataDir,
    });
    started.push(herald);
    return herald;
  }

  /** The messages of the lines the service logged at start, by level. */
  function messages(herald: HeraldProcess, level: string): string[] {
    return parseLogLines(herald.stdout())
      .filter((line) => line.level === level)
      .map((line) => String(line.msg));
  }

  it('generates the token and key once, and every later start uses the same ones', async () => {
    const tokenPath = join(dataDir, 'admin-token');
    const keyPath = join(dataDir, 'encryption-key');
    const events = new Map<number, string>();

    // First start: both are generated; the token is printed once, with where it is kept.
    const first = await start();
    const announced = messages(first, 'warn')
      .map((msg) =>
        /^HERALD_ADMIN_TOKEN is not set; generated one, kept in (\S+): (\S+)$/.exec(msg),
      )
      .filter((match) => match !== null);
    expect(announced).toHaveLength(1);
    const [, printedPath, adminToken] = announced[0];
    expect(printedPath).toBe(tokenPath);
    expect(readFileSync(tokenPath, 'utf8').trim()).toBe(adminToken);
    expect(messages(first, 'warn')).toContainEqual(
      expect.stringContaining(
        `HERALD_ENCRYPTION_KEY is not set; generated one, kept in ${keyPath}.`,
      ),
    );
    const key = readFileSync(keyPath, 'utf8').trim();

    // The folder and its files are the owner's alone, and no draft of a file is left behind.
    expect(mode(dataDir)).toBe('700');
    expect(mode(tokenPath)).toBe('600');
    expect(mode(keyPath)).toBe('600');
    expect(readdirSync(dataDir).sort()).toEqual(['admin-token', 'encryption-key']);

    const herald = { baseUrl: first.baseUrl, adminToken };
    const tenant = await createTenant(herald);
    const { secret } = await createSubscription(herald, tenant, receiver!.url, ['keys.*']);
    await publish(first, tenant, events, 1);
    await expectEventually(() => expectEachDelivered(receiver!.requests, events, secret));

    /** A later start: nothing generated, nothing secret printed, the same token and key used. */
    async function restart(n: number): Promise<HeraldProcess> {
      const again = await start();
      expect(again.output()).not.toContain(adminToken);
      expect(again.output()).not.toContain(key);
      expect(again.output()).not.toContain('generated one');
      expect(messages(again, 'info')).toEqual(
        expect.arrayContaining([
          `HERALD_ADMIN_TOKEN is not set; using the admin token kept in ${tokenPath}`,
          `HERALD_ENCRYPTION_KEY is not set; using the encryption key kept in ${keyPath}`,
        ]),
      );
      expect(readFileSync(tokenPath, 'utf8').trim()).toBe(adminToken);
      expect(readFileSync(keyPath, 'utf8').trim()).toBe(key);

      // The token printed by the first start still lets the operator in, and only it does.
      await request(again.baseUrl)
        .post('/v1/tenants')
        .set({ Authorization: `Bearer ${adminToken}` })
        .send({ name: `after restart ${n}` })
        .expect(201);
      await request(again.baseUrl)
        .post('/v1/tenants')
        .set({ Authorization: `Bearer ${adminToken}x` })
        .send({ name: 'not the admin' })
        .expect(401);

      // The secret sealed by the first start opens: every event so far, before and after the
      // restart, arrives signed with the subscription's secret.
      await publish(again, tenant, events, n);
      await expectEventually(() => expectEachDelivered(receiver!.requests, events, secret));
      return again;
    }

    // A crash: nothing is cleaned up or written on the way out.
    expect(await stopHerald(first, 'SIGKILL')).toBeNull();
    const second = await restart(2);

    // A clean stop.
    expect(await stopHerald(second, 'SIGTERM')).toBe(0);
    const third = await restart(3);
    expect(await stopHerald(third, 'SIGTERM')).toBe(0);

    // Nothing printed the key, ever; only the first start printed the token.
    for (const herald of started) expect(herald.output()).not.toContain(key);
    expect(started.filter((herald) => herald.output().includes(adminToken))).toEqual([first]);
    expect(mode(dataDir)).toBe('700');
    expect(readdirSync(dataDir).sort()).toEqual(['admin-token', 'encryption-key']);
  }, 120_000);
});

/** A file's permission bits, in octal as `ls` and `chmod` write them. */
function mode(path: string): string {
  return (statSync(path).mode & 0o777).toString(8);
}

/** Publishes `{ n }` on `keys.restarted` and notes its event id under `n`. */
async function publish(
  herald: HeraldProcess,
  tenant: TestTenant,
  events: Map<number, string>,
  n: number,
): Promise<void> {
  const published = await request(herald.baseUrl)
    .post('/v1/events')
    .set(tenant.auth)
    .send({ topic: 'keys.restarted', payload: { n } })
    .expect(201);
  events.set(n, published.body.id as string);
}
