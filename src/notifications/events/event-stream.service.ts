import { Inject, Injectable } from '@nestjs/common';
import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import { parseCursor } from '../common/cursors/cursor';
import { TopicFilter } from '../common/topics/topic-filter';
import { takeOverResponse } from '../http/raw-http';
import { HeldPollLimiter } from '../limits/held-poll-limiter';
import { ReadRateLimiter } from '../limits/read-rate-limiter';
import { RESOLVED_OPTIONS } from '../notifications.constants';
import type { ResolvedNotificationsOptions } from '../notifications.options';
import { ApiKeyHolds } from '../tenants/api-key-holds';
import type { Principal } from '../tenants/principal';
import { resolveTenant } from '../tenants/resolve-tenant';
import { toEventDto } from './dto/event.dto';
import type { StreamEventsQuery } from './dto/stream-events.query';
import type { EventPage } from './event-log.service';
import { LongPollService } from './long-poll.service';
import { HeraldTracing } from '../tracing/herald-tracing';

const PAGE = 100;

/**
 * Server-Sent Events over the same cursors as the long poll: each event's `id:` is its cursor, so
 * a reconnecting EventSource resumes with `Last-Event-ID`. Quiet streams get a heartbeat comment.
 */
@Injectable()
export class EventStreamService {
  constructor(
    @Inject(LongPollService) private readonly longPoll: LongPollService,
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedNotificationsOptions,
    @Inject(HeldPollLimiter) private readonly limiter: HeldPollLimiter,
    @Inject(ReadRateLimiter) private readonly readLimiter: ReadRateLimiter,
    @Inject(ApiKeyHolds) private readonly holds: ApiKeyHolds,
    @Inject(HeraldTracing) private readonly tracing: HeraldTracing,
  ) {}

  /**
   * Streams until the client leaves, the process shuts down or the caller's key is revoked; a
   * revoked key's stream ends at once with a `: revoked` comment. `reply` is the handler's
   * response object (Express's or Fastify's); the stream writes to the Node response under it.
   * `request` is the request's controller, aborted when the client leaves (see `ClientGone`).
   */
  async stream(
    principal: Principal,
    query: StreamEventsQuery,
    lastEventId: string | undefined,
    reply: object,
    request: AbortController,
  ): Promise<void> {
    const tenantId = resolveTenant(principal, query.tenantId);
    const filter = new TopicFilter(query.topics ?? []);
    const start = lastEventId ?? query.after;
    const field = lastEventId === undefined ? 'after' : 'Last-Event-ID';
    this.readLimiter.check(principal);
    const hold = this.holds.hold(principal, request);
    const poll = (after: bigint | undefined, waitMs: number) =>
      this.longPoll.poll({
        tenantId,
        after,
        filter,
        limit: PAGE,
        waitMs,
        signal: hold.signal,
        holdsPlace: true,
      });
    try {
      // The first read, its place in the read budget and the place under the held-poll cap come
      // before any header is sent, so a bad or expired cursor is a plain 400/410 and a caller
      // over a limit a plain 429.
      let page: EventPage = await poll(
        start === undefined ? undefined : parseCursor(start, field),
        0,
      );
      hold.throwIfRevoked();
      await this.readLimiter.spend(principal);
      const release = this.limiter.acquire(tenantId);
      const response = takeOverResponse(reply);
      try {
        response.writeHead(200, {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-store, no-transform',
          connection: 'keep-alive',
          'x-accel-buffering': 'no',
        });
        response.write(': connected\n\n');
        for (;;) {
          await this.write(response, page, tenantId);
          if (hold.signal.aborted || this.longPoll.isShuttingDown) break;
          page = await poll(BigInt(page.nextCursor), this.options.streamHeartbeatInterval);
          if (page.events.length === 0 && !hold.signal.aborted)
            await this.send(response, ': heartbeat\n\n');
        }
        if (hold.revoked) await this.send(response, ': revoked\n\n');
      } finally {
        release();
        response.end();
      }
    } finally {
      hold.release();
    }
  }

  /** Writes each event of the page, each in a `herald stream` span linked to its publish span. */
  private async write(response: ServerResponse, page: EventPage, tenantId: string): Promise<void> {
    for (const event of page.events) {
      const span = this.tracing.start('herald stream', 'internal', 'active');
      if (span.recording) {
        span.set({
          'messaging.system': 'herald',
          'messaging.operation.type': 'receive',
          'messaging.operation.name': 'stream',
          'messaging.destination.name': event.topic,
          'messaging.message.id': event.id,
          'herald.tenant.id': tenantId,
          'herald.event.cursor': event.cursor,
        });
        span.linkTo([event.traceparent]);
      }
      try {
        await this.send(
          response,
          `id: ${event.cursor}\ndata: ${JSON.stringify(toEventDto(event))}\n\n`,
        );
      } finally {
        span.end();
      }
    }
  }

  /** Writes, waiting for the socket to drain when the client reads slower than we write. */
  private async send(response: ServerResponse, chunk: string): Promise<void> {
    if (!response.write(chunk) && !response.destroyed) {
      await Promise.race([once(response, 'drain'), once(response, 'close')]);
    }
  }
}
