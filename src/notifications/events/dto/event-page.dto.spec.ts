import type { LoggedEvent } from '../event-log.service';
import { WokenEvents } from '../woken-events';
import { serializeEventPage, toEventPageDto } from './event-page.dto';

function logged(position: number, bytes = 200): LoggedEvent {
  return {
    id: `0b5c6d0e-2f4a-4b8e-9a57-1f0c2d3e4f${String(position).padStart(2, '0')}`,
    topic: 'order.shipped',
    payload: { position, text: 'é ✓' },
    cursor: String(position),
    createdAt: new Date(Date.UTC(2025, 0, 1, 0, 0, position)),
    bytes,
  };
}

describe('serializeEventPage', () => {
  afterEach(() => jest.restoreAllMocks());

  it('writes exactly what the page mapper would, with or without events', () => {
    const full = { events: [logged(7), logged(8)], nextCursor: '8', head: 9n };
    const empty = { events: [], nextCursor: '9', head: 9n };

    expect(serializeEventPage(full)).toBe(JSON.stringify(toEventPageDto(full)));
    expect(JSON.parse(serializeEventPage(full))).toEqual({
      events: [
        {
          id: full.events[0].id,
          topic: 'order.shipped',
          payload: { position: 7, text: 'é ✓' },
          cursor: '7',
          createdAt: '2025-01-01T00:00:07.000Z',
        },
        expect.objectContaining({ cursor: '8' }),
      ],
      nextCursor: '8',
    });
    expect(serializeEventPage(empty)).toBe('{"events":[],"nextCursor":"9"}');
  });

  it('serializes once for every poll answered with the same woken page', () => {
    const woken = new WokenEvents([logged(11), logged(12), logged(13)]);
    const stringify = jest.spyOn(JSON, 'stringify');

    const bodies = Array.from({ length: 100 }, () => {
      const events = woken.page(2, 1024 * 1024);
      return serializeEventPage({ events, nextCursor: '12', head: 13n });
    });

    expect(stringify).toHaveBeenCalledTimes(1);
    expect(new Set(bodies).size).toBe(1);
    expect(JSON.parse(bodies[0]).nextCursor).toBe('12');
  });
});
