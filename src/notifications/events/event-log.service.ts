import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { formatCursor } from '../common/cursors/cursor';
import type { TopicFilter } from '../common/topics/topic-filter';
import { HeraldMetrics } from '../metrics/herald-metrics';
import { RESOLVED_OPTIONS } from '../notifications.constants';
import { NotificationsError, NotificationsErrorCode } from '../notifications.errors';
import type { ResolvedNotificationsOptions } from '../notifications.options';
import { HERALD } from '../database/herald-names';

/** One event as read from the log. */
export interface LoggedEvent {
  id: string;
  topic: string;
  payload: Record<string, unknown>;
  cursor: string;
  createdAt: Date;
  /** What it counts against a page's byte budget (see {@link EVENT_BYTES}). */
  bytes: number;
  /** The W3C `traceparent` it was published with, if it was traced. */
  traceparent?: string;
}

/**
 * What one event counts against a page's byte budget, in SQL: its payload and topic as text, and
 * a fixed allowance for its id, cursor, time and the JSON around them, and its `traceparent` field
 * when it has one. Postgres writes JSON with a space after each `:` and `,`, so this errs on the
 * large side of what the answer holds.
 */
export const EVENT_BYTES = `(octet_length(e.payload::text) + octet_length(e.topic) + 160
  + COALESCE(octet_length(e.traceparent) + 17, 0))`;

/** A page of the log for one tenant. */
export interface EventPage {
  events: readonly LoggedEvent[];
  /** Pass it as `after` next time; equals the cursor asked for when `events` is empty. */
  nextCursor: string;
  /** The log's head when read: every position up to it was visible to this read. */
  head: bigint;
}

interface PageRow {
  last_position: string;
  pruned_through: string;
  id: string | null;
  topic: string | null;
  payload: Record<string, unknown> | null;
  position: string | null;
  created_at: Date | null;
  bytes: number | null;
  traceparent: string | null;
}

const MATCHES_FILTER = `($4::boolean OR e.topic = ANY($5::text[]) OR e.topic LIKE ANY($6::text[]))`;

/** The next event of the tenant after `cursor` that passes the filter, if any. */
const nextEvent = (cursor: string) => `
  SELECT e.id, e.topic, e.payload, e.position, e.created_at, ${EVENT_BYTES} AS bytes, e.traceparent
  FROM ${HERALD.events} e
  WHERE e.tenant_id = $1 AND e.position > ${cursor} AND ${MATCHES_FILTER}
  ORDER BY e.position
  LIMIT 1`;

// State and events come from one statement, so one snapshot: the retention job cannot delete
// events between the expiry check and the read, and no position below the head is still missing.
// The page is walked one event at a time, adding up sizes, and the walk stops at `limit` events
// or once the budget ($7) is spent: no more than one event past the budget is ever read. (A
// running sum over the next `limit` rows would serialize all of them, up to 1000 × 256 KiB, to
// return one MiB.) The first event is kept whatever its size; the others only within the budget.
const READ_PAGE = `
  WITH RECURSIVE state AS (
    SELECT last_position, pruned_through FROM ${HERALD.sequencer_state} WHERE id = 1
  ), page AS (
    SELECT first_event.*, first_event.bytes AS total, 1 AS n
    FROM state CROSS JOIN LATERAL (
      ${nextEvent('GREATEST($2::bigint, state.pruned_through)')}
    ) first_event
    WHERE $3::int > 0
    UNION ALL
    SELECT next_event.*, page.total + next_event.bytes, page.n + 1
    FROM page CROSS JOIN LATERAL (${nextEvent('page.position')}) next_event
    WHERE page.n < $3::int AND page.total < $7::bigint
  )
  SELECT s.last_position, s.pruned_through,
    p.id, p.topic, p.payload, p.position, p.created_at, p.bytes, p.traceparent
  FROM state s LEFT JOIN page p ON p.n = 1 OR p.total <= $7::bigint
  ORDER BY p.position`;

const likePrefix = (prefix: string) => prefix.replace(/[\\%_]/g, (c) => `\\${c}`) + '%';

/** Reads the event log by cursor, without waiting. */
@Injectable()
export class EventLogService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedNotificationsOptions,
    @Inject(HeraldMetrics) private readonly metrics: HeraldMetrics,
  ) {}

  /**
   * Events of `tenantId` after `after` that pass `filter`, oldest first: at most `limit`, and no
   * more than `maxPageBytes` of them unless the first alone is larger. `after` undefined means
   * "from now" (no events, the head as cursor); `0n` means from the oldest retained event.
   *
   * @throws NotificationsError `cursor_expired` (with `oldestCursor`) when events after `after`
   *   were already deleted by retention; `invalid_cursor` when `after` is ahead of the log.
   */
  async read(
    tenantId: string,
    after: bigint | undefined,
    filter: TopicFilter,
    limit: number,
  ): Promise<EventPage> {
    this.metrics.longPollReads.inc({ read: 'page' });
    const rows = await this.dataSource.query<PageRow[]>(READ_PAGE, [
      tenantId,
      (after ?? 0n).toString(),
      after === undefined ? 0 : limit,
      filter.all,
      filter.exact,
      filter.prefixes.map(likePrefix),
      this.options.maxPageBytes,
    ]);
    const state = rows[0];
    if (!state) throw new Error(`${HERALD.sequencer_state} is empty; were the migrations run?`);
    const head = BigInt(state.last_position);
    const prunedThrough = BigInt(state.pruned_through);
    if (after === undefined) return { events: [], nextCursor: formatCursor(head), head };
    if (after !== 0n && after < prunedThrough) {
      throw new NotificationsError(
        NotificationsErrorCode.CursorExpired,
        `Events after cursor ${after} are past the retention; resume from oldestCursor`,
        { oldestCursor: formatCursor(prunedThrough) },
      );
    }
    if (after > head) {
      throw new NotificationsError(
        NotificationsErrorCode.InvalidCursor,
        `after=${after} is ahead of the event log; use a cursor returned by this API`,
      );
    }
    const events = rows.flatMap(
      ({ id, topic, payload, position, created_at, bytes, traceparent }) =>
        id && topic && payload && position && created_at && bytes !== null
          ? [
              {
                id,
                topic,
                payload,
                cursor: position,
                createdAt: created_at,
                bytes,
                traceparent: traceparent ?? undefined,
              },
            ]
          : [],
    );
    return { events, nextCursor: events.at(-1)?.cursor ?? formatCursor(after), head };
  }
}
