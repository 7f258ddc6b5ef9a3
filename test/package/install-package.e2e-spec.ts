import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { randomUUID } from 'node:crypto';
import { deleteQueueKeys } from '../utils/delete-queue-keys';
import { expectEventually } from '../utils/expect-eventually';
import { freePort } from '../utils/free-port';
import { openEventStream } from '../utils/open-event-stream';
import { pgQuery } from '../utils/pg-query';
import { createTestDatabase, type TestDatabase } from '../utils/test-database';
import { TEST_ADMIN_TOKEN, TEST_ENCRYPTION_KEY } from '../utils/test-app';
import { TEST_REDIS_URL } from '../utils/test-env';
import { verifyWebhook } from '../utils/verify-webhook';
import { startReceiver, type WebhookReceiver } from '../utils/webhook-receiver';

const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..');
const HOSTS = join(__dirname, 'hosts');
const EXAMPLE_HOST = join(__dirname, '..', '..', 'examples', 'host-app');
const EXAMPLE_FILES = ['order.entity.ts', 'create-orders.migration.ts'];

/** What `npm pack --json` says of a tarball. */
interface PackResult {
  filename: string;
  entryCount: number;
  files: { path: string }[];
}

/** Where a packed file may come from: the built library, the client, the portal, the docs. */
const SHIPPED = [
  /^package\.json$/,
  /^README\.md$/,
  /^LICENSE$/,
  /^CHANGELOG\.md$/,
  /^dist\/notifications\/.+\.(js|d\.ts)$/,
  /^dist\/client\/(herald-client\.(js|d\.ts)|package\.json)$/,
  /^dist\/portal\/public\/[\w.-]+$/,
];

/** Packages only the standalone service needs: a host installing the tarball gets none of them. */
const SERVICE_ONLY = [
  'pino',
  'nestjs-pino',
  '@bull-board/api',
  '@nestjs/terminus',
  '@nestjs/config',
  'pino-pretty',
  'helmet',
  '@opentelemetry/sdk-trace-node',
  '@opentelemetry/sdk-trace-base',
  '@opentelemetry/exporter-trace-otlp-http',
  '@opentelemetry/resources',
];

/** One host app copied into a folder of its own, with the tarball and its dependencies installed. */
interface PreparedHost {
  dir: string;
  /** `tsc --strict` against the installed package's types: its exit code and what it printed. */
  compiled: { code: number; output: string };
}

async function npm(cwd: string, ...args: string[]): Promise<string> {
  const { stdout } = await run('npm', args, { cwd, maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

/** Copies `name`'s sources beside the shared ones, installs the tarball and compiles. */
async function prepareHost(root: string, name: string, tarball: string): Promise<PreparedHost> {
  const dir = join(root, name);
  await cp(join(HOSTS, name), dir, { recursive: true });
  await cp(join(HOSTS, 'shared'), dir, { recursive: true });
  // The order and its migration are the README's example host's own.
  for (const file of EXAMPLE_FILES) await cp(join(EXAMPLE_HOST, file), join(dir, 'src', file));
  await npm(
    dir,
    'install',
    '--prefer-offline',
    '--no-audit',
    '--no-fund',
    '--ignore-scripts',
    tarball,
  );
  const compiled = await run(process.execPath, ['node_modules/typescript/bin/tsc', '--strict'], {
    cwd: dir,
  }).then(
    ({ stdout }) => ({ code: 0, output: stdout }),
    (error: { code: number; stdout: string }) => ({ code: error.code, output: error.stdout }),
  );
  return { dir, compiled };
}

/** A host app running as `node dist/main.js`, on a database of its own. */
interface RunningHost {
  baseUrl: string;
  db: TestDatabase;
  child: ChildProcess;
  output(): string;
}

async function startHost(dir: string, db: TestDatabase, queuePrefix: string): Promise<RunningHost> {
  const child = spawn(process.execPath, ['dist/main.js'], {
    cwd: dir,
    env: {
      PATH: process.env.PATH,
      PORT: String(await freePort()),
      DATABASE_URL: db.url,
      REDIS_URL: TEST_REDIS_URL,
      QUEUE_PREFIX: queuePrefix,
      ADMIN_TOKEN: TEST_ADMIN_TOKEN,
      ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  const baseUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => fail('did not start within 30 s'), 30_000);
    function fail(why: string): void {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`host ${why}:\n${text}`));
    }
    const read = (chunk: Buffer) => {
      text += chunk.toString();
      const listening = /listening on (\S+)/.exec(text);
      if (listening) {
        clearTimeout(timer);
        resolve(listening[1]);
      }
    };
    child.stdout?.on('data', read);
    child.stderr?.on('data', read);
    child.once('exit', (code) => fail(`exited with ${code}`));
  });
  return { baseUrl, db, child, output: () => text };
}

async function stopHost(host: RunningHost): Promise<void> {
  if (host.child.exitCode !== null || host.child.signalCode !== null) return;
  const exited = once(host.child, 'exit');
  host.child.kill('SIGTERM');
  const timer = setTimeout(() => host.child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

/** `fetch` against the host, answering the status and the parsed JSON body. */
async function call(
  host: RunningHost,
  path: string,
  { method = 'GET', key, body }: { method?: string; key?: string; body?: unknown } = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${host.baseUrl}${path}`, {
    method,
    headers: {
      ...(key ? { authorization: `Bearer ${key}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

interface EventPage {
  events: { id: string; topic: string; cursor: string; payload: Record<string, unknown> }[];
  nextCursor: string;
}

/** The error shape of DESIGN: Nest's fields plus a stable `code`. */
function expectErrorShape(
  answer: { status: number; body: Record<string, unknown> },
  status: number,
  code: string,
): void {
  expect({ status: answer.status, body: answer.body }).toEqual({
    status,
    body: expect.objectContaining({
      statusCode: status,
      error: expect.any(String),
      message: expect.any(String),
      code,
    }),
  });
}

describe('the package as a user installs it', () => {
  let workDir: string;
  let packed: PackResult;
  let hosts: Promise<Record<string, PreparedHost>>;

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'herald-package-'));
    await npm(ROOT, 'run', 'build', '--silent');
    [packed] = JSON.parse(
      await npm(ROOT, 'pack', '--ignore-scripts', '--json', '--pack-destination', workDir),
    ) as PackResult[];
    const tarball = join(workDir, packed.filename);
    // Both installs at once: mostly waiting on npm's cache and the disk.
    hosts = Promise.all(
      ['express', 'fastify'].map(async (name) => [name, await prepareHost(workDir, name, tarball)]),
    ).then(Object.fromEntries);
    await hosts;
  }, 300_000);

  afterAll(async () => {
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  it('packs the built library, its client, the portal files and the docs, nothing else', () => {
    const paths = packed.files.map((file) => file.path);
    expect(paths.filter((path) => !SHIPPED.some((pattern) => pattern.test(path)))).toEqual([]);
    expect(paths).toEqual(
      expect.arrayContaining([
        'dist/notifications/index.js',
        'dist/notifications/index.d.ts',
        'dist/client/herald-client.js',
        'dist/portal/public/index.html',
        'LICENSE',
        'README.md',
        'CHANGELOG.md',
      ]),
    );
    // A .js and a .d.ts per library source file, and a few more (the client's ES module build,
    // the portal, the docs): a stray folder (sources, specs, maps) would add one per source file.
    const librarySources = readdirSync('src/notifications', { recursive: true }).filter(
      (path) => /\.ts$/.test(String(path)) && !/\.(spec|d)\.ts$/.test(String(path)),
    ).length;
    expect(packed.entryCount).toBeLessThan(2 * librarySources + 40);
    expect(packed.entryCount).toBeGreaterThan(2 * librarySources);
  });

  it('ships a client entry that imports nothing at all, so it runs in browsers as in Node', async () => {
    const { dir } = (await hosts).express;
    const client = await readFile(
      join(dir, 'node_modules', 'nestjs-herald', 'dist', 'client', 'herald-client.js'),
      'utf8',
    );
    expect(client).toContain('export class HeraldClient');
    expect(client).not.toMatch(/^\s*import\b|\brequire\(|\bimport\(/m);
  });

  describe.each([
    ['express', 'Express and TypeORM 0.3', /^0\.3\./],
    ['fastify', 'Fastify and TypeORM 1.x', /^1\./],
  ])('a host on %s', (name, _label, typeormVersion) => {
    let prepared: PreparedHost;
    let host: RunningHost;
    let receiver: WebhookReceiver;
    const queuePrefix = `herald-package-${name}-${process.pid}`;

    beforeAll(async () => {
      prepared = (await hosts)[name];
      receiver = await startReceiver();
      host = await startHost(prepared.dir, await createTestDatabase({ empty: true }), queuePrefix);
    }, 60_000);

    afterAll(async () => {
      if (host) await stopHost(host);
      await host?.db.drop();
      await receiver?.close();
      await deleteQueueKeys(TEST_REDIS_URL, queuePrefix);
    });

    /** A tenant and its key, made by the host's own route through the module's exported services. */
    const createShop = async () => {
      const created = await call(host, '/shop/tenants', { method: 'POST', body: { name } });
      expect(created.status).toBe(201);
      return created.body as { tenantId: string; apiKey: string };
    };

    const placeOrder = (tenantId: string, decline = false) =>
      call(host, '/shop/orders', { method: 'POST', body: { tenantId, totalCents: 900, decline } });

    it('compiles with tsc --strict against the package types', () => {
      expect(prepared.compiled).toEqual({ code: 0, output: '' });
    });

    it('resolves one copy of typeorm, @nestjs/common and @nestjs/core, and none of the service', async () => {
      const paths = await npm(
        prepared.dir,
        'ls',
        'typeorm',
        '@nestjs/common',
        '@nestjs/core',
        '--all',
        '--parseable',
      );
      const copies = new Set(paths.split('\n').filter(Boolean));
      expect([...copies].map((path) => path.slice(prepared.dir.length)).sort()).toEqual([
        '/node_modules/@nestjs/common',
        '/node_modules/@nestjs/core',
        '/node_modules/typeorm',
      ]);
      const typeorm = JSON.parse(
        await readFile(join(prepared.dir, 'node_modules', 'typeorm', 'package.json'), 'utf8'),
      ) as { version: string };
      expect(typeorm.version).toMatch(typeormVersion);
      // Some of them may be in the host for reasons of its own (Fastify logs with pino): none
      // through the package.
      const serviceOnly = JSON.parse(
        await npm(prepared.dir, 'ls', ...SERVICE_ONLY, '--all', '--json').catch(
          (error: { stdout: string }) => error.stdout,
        ),
      ) as { dependencies?: Record<string, unknown> };
      expect(Object.keys(serviceOnly.dependencies ?? {})).not.toContain('nestjs-herald');
    });

    it('publishes in the host transaction: a rollback leaves no event, a commit wakes a held poll and the stream', async () => {
      const shop = await createShop();
      const head = await call(host, '/v1/events?wait=0', { key: shop.apiKey });
      expect(head.status).toBe(200);
      const after = (head.body as unknown as EventPage).nextCursor;

      let answered = false;
      const held = call(host, `/v1/events?after=${after}&wait=20`, { key: shop.apiKey }).then(
        (answer) => ((answered = true), answer),
      );
      const stream = openEventStream(host.baseUrl, `/v1/events/stream?after=${after}`, {
        authorization: `Bearer ${shop.apiKey}`,
      });
      try {
        expect((await stream.response).status).toBe(200);

        expect((await placeOrder(shop.tenantId, true)).status).toBe(422);
        const stored = () =>
          pgQuery(host.db.url, 'SELECT id FROM herald.events WHERE tenant_id = $1', [
            shop.tenantId,
          ]);
        expect(await stored()).toEqual([]);
        expect(answered).toBe(false);

        const placed = await placeOrder(shop.tenantId);
        expect(placed.status).toBe(201);
        const poll = await held;
        expect(poll.status).toBe(200);
        const [event] = (poll.body as unknown as EventPage).events;
        expect(event).toMatchObject({
          topic: 'order.created',
          payload: { orderId: placed.body.orderId, totalCents: 900 },
        });
        expect(await stored()).toEqual([{ id: event.id }]);

        await expectEventually(() =>
          expect(stream.events.map((e) => e.data.id)).toEqual([event.id]),
        );

        // The client entry from a plain ES module, imported by the package's name.
        const { stdout } = await run(
          process.execPath,
          ['follow-events.mjs', host.baseUrl, shop.apiKey, after],
          { cwd: prepared.dir, timeout: 30_000 },
        );
        expect(JSON.parse(stdout)).toMatchObject({ id: event.id, cursor: event.cursor });
      } finally {
        stream.close();
        await held.catch(() => undefined);
      }
    });

    it('answers a bad key 401, an unknown id 404, a bad cursor 400 and an expired cursor 410, in the error shape', async () => {
      const shop = await createShop();
      expectErrorShape(
        await call(host, '/v1/events?wait=0', { key: 'hk_not-a-key' }),
        401,
        'unauthorized',
      );
      expectErrorShape(
        await call(host, `/v1/events/${randomUUID()}`, { key: shop.apiKey }),
        404,
        'event_not_found',
      );
      expectErrorShape(
        await call(host, '/v1/events?after=not-a-cursor&wait=0', { key: shop.apiKey }),
        400,
        'validation_failed',
      );

      await placeOrder(shop.tenantId);
      await placeOrder(shop.tenantId);
      const page = await expectEventually(async () => {
        const read = await call(host, '/v1/events?after=0&wait=0', { key: shop.apiKey });
        const events = (read.body as unknown as EventPage).events;
        expect(events).toHaveLength(2);
        return events;
      });
      // The log up to both of them past the retention (expired events are a prefix of the log):
      // the host's retention job deletes them within a second.
      await pgQuery(
        host.db.url,
        `UPDATE herald.events SET sequenced_at = sequenced_at - interval '8 days' WHERE position <= $1`,
        [page[1].cursor],
      );
      const expired = await expectEventually(async () => {
        const read = await call(host, `/v1/events?after=${page[0].cursor}&wait=0`, {
          key: shop.apiKey,
        });
        expect(read.status).toBe(410);
        return read;
      });
      expectErrorShape(expired, 410, 'cursor_expired');
      expect(expired.body.oldestCursor).toEqual(expect.any(String));
    });

    it('delivers a webhook to a local receiver, signed so that standardwebhooks verifies it', async () => {
      const shop = await createShop();
      const subscription = await call(host, '/v1/subscriptions', {
        method: 'POST',
        key: shop.apiKey,
        body: { url: receiver.url, topics: ['order.*'] },
      });
      expect(subscription.status).toBe(201);
      const placed = await placeOrder(shop.tenantId);
      const hook = await expectEventually(() => {
        const found = receiver.received.find((request) =>
          request.body.includes(String(placed.body.orderId)),
        );
        if (!found) throw new Error('no webhook yet');
        return found;
      });
      expect(verifyWebhook(String(subscription.body.secret), hook)).toMatchObject({
        type: 'order.created',
        data: { orderId: placed.body.orderId, totalCents: 900 },
      });
    });
  });
});
