import { Client } from 'pg';
import { NotificationPublisher } from '../src/notifications';
import { SequencerService } from '../src/notifications/sequencer/sequencer.service';
import { createTenant, type TestTenant } from './utils/create-tenant';
import { expectEventually } from './utils/expect-eventually';
import { pgQuery } from './utils/pg-query';
import { publishAndSequence } from './utils/publish-event';
import { readEvents } from './utils/read-events';
import { createTestDatabase, type TestDatabase } from './utils/test-database';
import { startTestApp, type TestApp } from './utils/test-app';

describe('sequencer', () => {
  let db: TestDatabase;
  let herald: TestApp;

  beforeAll(async () => {
    db = await createTestDatabase();
    herald = await startTestApp({
      databaseUrl: db.url,
      notifications: { sequencerBatchSize: 100 },
    });
  });

  afterAll(async () => {
    await herald?.close();
    await db?.drop();
  });

  async function positionsAreDense(): Promise<void> {
    const [row] = await pgQuery<{ n: string; min: string; max: string; head: string }>(
      db.url,
      `SELECT count(position) AS n, min(position) AS min, max(position) AS max,
              (SELECT last_position FROM herald.sequencer_state) AS head
       FROM herald.events WHERE position IS NOT NULL`,
    );
    expect(Number(row.max) - Number(row.min) + 1).toBe(Number(row.n));
    expect(row.max).toBe(row.head);
  }

  it('a reader following cursors sees events that commit out of order', async () => {
    const tenant = await createTenant(herald);
    const publisher = herald.app.get(NotificationPublisher);
    const start = (await readEvents(herald, tenant, {})).nextCursor;

    // A opens its transaction and publishes first, but commits last.
    const runnerA = herald.dataSource.createQueryRunner();
    await runnerA.connect();
    await runnerA.startTransaction();
    const eventA = await publisher.publish(
      { tenantId: tenant.tenantId, topic: 'race.a', payload: {} },
      { manager: runnerA.manager },
    );
    const eventB = await herald.dataSource.transaction((manager) =>
      publisher.publish({ tenantId: tenant.tenantId, topic: 'race.b', payload: {} }, { manager }),
    );

    const seen: string[] = [];
    let cursor = start;
    const follow = async () => {
      const page = await readEvents(herald, tenant, { after: cursor });
      seen.push(...page.events.map((event) => event.id));
      cursor = page.nextCursor;
    };
    await expectEventually(async () => {
      await follow();
      expect(seen).toContain(eventB.id);
    });
    expect(seen).not.toContain(eventA.id);

    await runnerA.commitTransaction();
    await runnerA.release();
    await expectEventually(async () => {
      await follow();
      expect(seen).toContain(eventA.id);
    });
    expect(seen).toEqual([eventB.id, eventA.id]);
    await positionsAreDense();
  });

  it('never gives a position to a rolled-back event', async () => {
    const tenant = await createTenant(herald);
    const publisher = herald.app.get(NotificationPublisher);
    await expect(
      herald.dataSource.transaction(async (manager) => {
        await publisher.publish(
          { tenantId: tenant.tenantId, topic: 'doomed.one', payload: {} },
          { manager },
        );
        throw new Error('business rule failed');
      }),
    ).rejects.toThrow('business rule failed');
    const kept = await publishAndSequence(herald, tenant, 'kept.one');
    const page = await readEvents(herald, tenant, { after: 0 });
    expect(page.events.map((event) => event.id)).toEqual([kept.id]);
  });

  it('stamps a large commit in batches with dense, unique positions', async () => {
    const tenant = await createTenant(herald);
    const publisher = herald.app.get(NotificationPublisher);
    await herald.dataSource.transaction(async (manager) => {
      for (let i = 0; i < 350; i++) {
        await publisher.publish(
          { tenantId: tenant.tenantId, topic: 'bulk.item', payload: { i } },
          { manager },
        );
      }
    });
    await expectEventually(async () => {
      const [row] = await pgQuery<{ n: string }>(
        db.url,
        'SELECT count(*) AS n FROM herald.events WHERE tenant_id = $1 AND position IS NULL',
        [tenant.tenantId],
      );
      expect(row.n).toBe('0');
    });
    await positionsAreDense();
  });

  it('NOTIFYs the new head after stamping', async () => {
    const tenant = await createTenant(herald);
    const listener = new Client({ connectionString: db.url });
    await listener.connect();
    try {
      const heads: bigint[] = [];
      listener.on('notification', (message) => {
        heads.push(BigInt((JSON.parse(message.payload ?? '{}') as { head: string }).head));
      });
      await listener.query('LISTEN herald_sequenced');
      const event = await publishAndSequence(herald, tenant, 'notify.me');
      await expectEventually(() =>
        expect(heads.some((head) => head >= BigInt(event.cursor))).toBe(true),
      );
    } finally {
      await listener.end();
    }
  });

  it('stamps events that came without a NOTIFY, through its fallback poll', async () => {
    const tenant = await createTenant(herald);
    // A row inserted behind Herald's back: no pg_notify, so only the slow poll can find it.
    await pgQuery(
      db.url,
      `INSERT INTO herald.events (id, tenant_id, topic, payload)
       VALUES ('00000000-0000-4000-8000-0000000000f1', $1, 'quiet.insert', '{}')`,
      [tenant.tenantId],
    );
    await expectEventually(async () => {
      const page = await readEvents(herald, tenant, { after: 0 });
      expect(page.events.map((event) => event.topic)).toEqual(['quiet.insert']);
    });
  });
});

describe('sequencer leadership', () => {
  let db: TestDatabase;
  let first: TestApp;
  let second: TestApp;
  let tenant: TestTenant;

  beforeAll(async () => {
    db = await createTestDatabase();
    first = await startTestApp({ databaseUrl: db.url });
    await expectEventually(() => expect(first.app.get(SequencerService).isLeader).toBe(true));
    second = await startTestApp({ databaseUrl: db.url });
    tenant = await createTenant(first);
  });

  afterAll(async () => {
    await first?.close();
    await second?.close();
    await db?.drop();
  });

  it('keeps exactly one active sequencer; a standby takes over when the leader dies', async () => {
    const leaderOf = () =>
      [first, second].filter((app) => app.app.get(SequencerService).isLeader).length;
    expect(first.app.get(SequencerService).isLeader).toBe(true);
    expect(second.app.get(SequencerService).isLeader).toBe(false);
    await publishAndSequence(second, tenant, 'before.failover');

    // Kill the leader's session as a crash would: Postgres drops the advisory lock with it.
    await pgQuery(
      db.url,
      `SELECT pg_terminate_backend(l.pid) FROM pg_locks l
       WHERE l.locktype = 'advisory' AND l.granted AND l.database =
             (SELECT oid FROM pg_database WHERE datname = current_database())`,
    );
    await expectEventually(() => expect(leaderOf()).toBe(1));
    const after = await publishAndSequence(second, tenant, 'after.failover');

    await first.close();
    await expectEventually(() => expect(second.app.get(SequencerService).isLeader).toBe(true));
    const last = await publishAndSequence(second, tenant, 'after.shutdown');
    expect(BigInt(last.cursor)).toBeGreaterThan(BigInt(after.cursor));
    const page = await readEvents(second, tenant, { after: 0 });
    expect(page.events.map((event) => event.topic)).toEqual([
      'before.failover',
      'after.failover',
      'after.shutdown',
    ]);
  });
});
