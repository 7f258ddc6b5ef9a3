import { Client } from 'pg';
import { setTimeout as delay } from 'node:timers/promises';
import { Agent, request } from 'undici';
import { v7 as uuidv7 } from 'uuid';
import { type ReceiverWindow, measureReceiverWindow } from './measure-receiver-window';
import { signedWebhookRequest } from './signed-webhook-request';
import type { WebhookReceiver } from './spawn-webhook-receiver';
import { startLoops } from './start-loops';

/** How baseline (b) runs. */
export interface RawOutboxOptions {
  databaseUrl: string;
  receiver: WebhookReceiver;
  /** Publishing connections, each inserting one row per transaction. */
  concurrency: number;
  /** Rows one claim takes. */
  batchSize: number;
  warmupMs: number;
  durationMs: number;
  payload: Record<string, unknown>;
  secret: string;
}

/** Baseline (b)'s figures: the receiver's window, and rows left undelivered when it closed. */
export interface RawOutboxResult extends ReceiverWindow {
  backlog: number;
}

interface OutboxRow {
  id: string;
  topic: string;
  payload: string;
  created_at: Date;
}

const CREATE_TABLE = `
  CREATE TABLE bench_outbox (
    id uuid PRIMARY KEY,
    topic text NOT NULL,
    payload jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    delivered_at timestamptz
  )`;
// The claim walks only undelivered rows, in id (UUIDv7, so time) order.
const CREATE_INDEX = `CREATE INDEX bench_outbox_pending ON bench_outbox (id) WHERE delivered_at IS NULL`;
const INSERT = `INSERT INTO bench_outbox (id, topic, payload) VALUES ($1, $2, $3)`;
const CLAIM = `
  SELECT id, topic, payload::text AS payload, created_at FROM bench_outbox
  WHERE delivered_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`;
const MARK_DELIVERED = `UPDATE bench_outbox SET delivered_at = now() WHERE id = ANY($1::uuid[])`;
const COUNT_PENDING = `SELECT count(*)::int AS pending FROM bench_outbox WHERE delivered_at IS NULL`;
/** A claim that found nothing waits this long before the next (the only polling in the loop). */
const IDLE_MS = 5;

/**
 * Baseline (b), the simplest correct outbox pipeline, in plain `pg` and undici: `concurrency`
 * connections insert one row per transaction while one loop, in one transaction per batch, claims
 * up to `batchSize` undelivered rows with `FOR UPDATE SKIP LOCKED`, POSTs them all at once (signed
 * like Herald's) and marks them delivered. A crash before COMMIT releases the rows to the next
 * claim: at-least-once, like Herald. No retry schedule, no attempt log, no per-endpoint isolation.
 */
export async function measureRawOutbox(options: RawOutboxOptions): Promise<RawOutboxResult> {
  const connect = async () => {
    const client = new Client({
      connectionString: options.databaseUrl,
      application_name: 'herald-bench',
    });
    await client.connect();
    return client;
  };
  const publishers = await Promise.all(Array.from({ length: options.concurrency }, connect));
  const claimer = await connect();
  const agent = new Agent();
  try {
    await claimer.query(CREATE_TABLE);
    await claimer.query(CREATE_INDEX);
    const payload = JSON.stringify(options.payload);
    const load = startLoops(options.concurrency, async (loop) => {
      await publishers[loop].query(INSERT, [uuidv7(), 'bench.created', payload]);
    });

    const post = async (row: OutboxRow): Promise<void> => {
      const { body, headers } = signedWebhookRequest({
        eventId: row.id,
        topic: row.topic,
        createdAt: row.created_at,
        payloadJson: row.payload,
        secret: options.secret,
      });
      const response = await request(options.receiver.url, {
        method: 'POST',
        headers,
        body,
        dispatcher: agent,
      });
      await response.body.dump();
      if (response.statusCode >= 300) throw new Error(`receiver answered ${response.statusCode}`);
    };
    let stopped = false;
    const deliver = async () => {
      while (!stopped) {
        await claimer.query('BEGIN');
        try {
          const { rows } = await claimer.query<OutboxRow>(CLAIM, [options.batchSize]);
          if (rows.length > 0) {
            await Promise.all(rows.map(post));
            await claimer.query(MARK_DELIVERED, [rows.map((row) => row.id)]);
          }
          await claimer.query('COMMIT');
          if (rows.length === 0) await delay(IDLE_MS);
        } catch (error) {
          await claimer.query('ROLLBACK').catch(() => undefined);
          throw error;
        }
      }
    };
    const delivering = deliver();
    // Surfaces a delivery failure at once instead of as a silently flat rate.
    delivering.catch(() => void load.stop().catch(() => undefined));
    let window: ReceiverWindow;
    try {
      window = await measureReceiverWindow(
        options.receiver,
        load,
        options.warmupMs,
        options.durationMs,
      );
    } finally {
      stopped = true;
      await Promise.all([load.stop(), delivering]);
    }
    const { rows } = await claimer.query<{ pending: number }>(COUNT_PENDING);
    await claimer.query('DROP TABLE bench_outbox');
    return { ...window, backlog: rows[0]?.pending ?? 0 };
  } finally {
    await agent.close();
    await Promise.all(
      [...publishers, claimer].map((client) => client.end().catch(() => undefined)),
    );
  }
}
