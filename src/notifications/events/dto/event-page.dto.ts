import { ApiProperty } from '@nestjs/swagger';
import type { EventPage, LoggedEvent } from '../event-log.service';
import { EventDto, toEventDto } from './event.dto';

/** Answer of `GET /v1/events`. */
export class EventPageDto {
  @ApiProperty({ type: [EventDto] })
  events!: EventDto[];

  @ApiProperty({
    example: '1042',
    description: 'Pass as `after` on the next poll; the same cursor when no event came',
  })
  nextCursor!: string;
}

/** Maps a page of the log to its API form. */
export function toEventPageDto(page: EventPage): EventPageDto {
  return { events: page.events.map(toEventDto), nextCursor: page.nextCursor };
}

/** Bodies already written, by the events array of their page; see {@link serializeEventPage}. */
const bodies = new WeakMap<readonly LoggedEvent[], string>();

/**
 * The JSON body of `GET /v1/events` for `page`, exactly as `JSON.stringify(toEventPageDto(page))`.
 * Polls woken by one wake-up with the same events share one events array (see `WokenEvents`), and
 * their body is built once and kept with it: a page with events ends at its last event's cursor,
 * so its events alone decide its body.
 */
export function serializeEventPage(page: EventPage): string {
  if (page.events.length === 0) return JSON.stringify(toEventPageDto(page));
  let body = bodies.get(page.events);
  if (body === undefined) bodies.set(page.events, (body = JSON.stringify(toEventPageDto(page))));
  return body;
}
