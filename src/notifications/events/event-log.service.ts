import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { formatCursor } from '../common/cursor';
import type { TopicFilter } from '../common/topic-filter';
import { NotificationsError, NotificationsErrorCode } from '../notifications.errors';

/** One event as read from the log. */
export interface LoggedEvent {
  id: string;
  topic: string;
  payload: Record<string, unknown>;
  cursor: string;
  createdAt: Date;
}

/** A page of the log for one tenant. */
export interface EventPage {
  events: LoggedEvent[];
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
}

// State and events come from one statement, so one snapshot: the retention job cannot delete
// events between the expiry check and the read, and no position below the head is still missing.
const READ_PAGE = `
  SELECT s.last_position, s.pruned_through, e.id, e.topic, e.payload, e.position, e.created_at
  FROM herald.sequencer_state s
  LEFT JOIN LATERAL (
    SELECT id, topic, payload, position, created_at FROM herald.events
    WHERE tenant_id = $1
      AND position > GREATEST($2::bigint, s.pruned_through)
      AND ($4::boolean OR topic = ANY($5::text[]) OR topic LIKE ANY($6::text[]))
    ORDER BY position
    LIMIT $3
  ) e ON true
  WHERE s.id = 1
  ORDER BY e.position`;

const likePrefix = (prefix: string) => prefix.replace(/[\\%_]/g, (c) => `\\${c}`) + '%';

/** Reads the event log by cursor, without waiting. */
@Injectable()
export class EventLogService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Events of `tenantId` after `after` that pass `filter`, oldest first. `after` undefined means
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
    const rows = await this.dataSource.query<PageRow[]>(READ_PAGE, [
      tenantId,
      (after ?? 0n).toString(),
      after === undefined ? 0 : limit,
      filter.all,
      filter.exact,
      filter.prefixes.map(likePrefix),
    ]);
    const state = rows[0];
    if (!state) throw new Error('herald.sequencer_state is empty; were the migrations run?');
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
    const events = rows.flatMap(({ id, topic, payload, position, created_at }) =>
      id && topic && payload && position && created_at
        ? [{ id, topic, payload, cursor: position, createdAt: created_at }]
        : [],
    );
    return { events, nextCursor: events.at(-1)?.cursor ?? formatCursor(after), head };
  }
}
