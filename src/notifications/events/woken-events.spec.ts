import type { LoggedEvent } from './event-log.service';
import { WokenEvents } from './woken-events';

function logged(position: number, bytes: number): LoggedEvent {
  return {
    id: `event-${position}`,
    topic: 'order.shipped',
    payload: { position },
    cursor: String(position),
    createdAt: new Date('2025-01-01T00:00:00Z'),
    bytes,
  };
}

describe('WokenEvents', () => {
  const woken = new WokenEvents([logged(1, 600), logged(2, 600), logged(3, 600)]);

  it('cuts a page by the limit and the byte budget, keeping at least the first event', () => {
    expect(woken.page(10, 500).map((event) => event.cursor)).toEqual(['1']);
    expect(woken.page(2, 5000).map((event) => event.cursor)).toEqual(['1', '2']);
  });

  it('cuts each page once: polls with the same limit share one events array', () => {
    expect(woken.page(3, 5000)).toBe(woken.page(3, 5000));
    expect(woken.page(3, 5000)).not.toBe(woken.page(2, 5000));
  });
});
