import { Client } from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { measureLoops, type Throughput } from './measure-loops';

/** How the raw baseline runs. */
export interface RawInsertOptions {
  databaseUrl: string;
  concurrency: number;
  warmupMs: number;
  durationMs: number;
  /** The payload every insert writes, as the publisher would serialize it. */
  payload: Record<string, unknown>;
}

/** The raw baseline's table; the HTTP ceilings of `start-bare-publish-server.ts` insert into it too. */
export const RAW_EVENTS_TABLE = 'bench_raw_events';

// herald.events' columns without Herald's extras (foreign key, idempotency and sequencing indexes,
// NOTIFY): the floor of what one committed row costs on this server.
const CREATE_TABLE = `
  CREATE TABLE ${RAW_EVENTS_TABLE} (
    id uuid PRIMARY KEY,
    tenant_id uuid NOT NULL,
    topic text NOT NULL,
    payload jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
  )`;

const INSERT = `INSERT INTO ${RAW_EVENTS_TABLE} (id, tenant_id, topic, payload) VALUES ($1, $2, $3, $4)`;

/**
 * Plain `pg`: one connection per loop, each doing single-row autocommit inserts. Ids are UUIDv7
 * like Herald's, so the primary key sees the same append-mostly index pattern.
 */
export async function measureRawInserts(options: RawInsertOptions): Promise<Throughput> {
  const clients = Array.from(
    { length: options.concurrency },
    () => new Client({ connectionString: options.databaseUrl, application_name: 'herald-bench' }),
  );
  try {
    await Promise.all(clients.map((client) => client.connect()));
    await clients[0].query(CREATE_TABLE);
    const tenantId = uuidv7();
    return await measureLoops({
      concurrency: options.concurrency,
      warmupMs: options.warmupMs,
      durationMs: options.durationMs,
      operation: async (loop) => {
        const payload = JSON.stringify(options.payload);
        await clients[loop].query(INSERT, [uuidv7(), tenantId, 'bench.created', payload]);
      },
    });
  } finally {
    await Promise.all(clients.map((client) => client.end().catch(() => undefined)));
  }
}
