import type { LoggedEvent } from './event-log.service';
import { fitPage } from './fit-page';

const event = (n: number, bytes: number): LoggedEvent => ({
  id: `e${n}`,
  topic: 'a',
  payload: {},
  cursor: String(n),
  createdAt: new Date(0),
  bytes,
});

const cursors = (events: LoggedEvent[]) => events.map((e) => e.cursor);

describe('fitPage', () => {
  const events = [event(1, 400), event(2, 400), event(3, 400), event(4, 400)];

  it('keeps events while their sizes add up to at most the budget', () => {
    expect(cursors(fitPage(events, 100, 1000))).toEqual(['1', '2']);
    expect(cursors(fitPage(events, 100, 1200))).toEqual(['1', '2', '3']);
  });

  it('stops at the limit first when it comes first', () => {
    expect(cursors(fitPage(events, 1, 10_000))).toEqual(['1']);
  });

  it('keeps the first event alone when it is larger than the budget', () => {
    expect(cursors(fitPage([event(1, 5000), event(2, 10)], 100, 1000))).toEqual(['1']);
  });

  it('returns nothing for nothing', () => {
    expect(fitPage([], 10, 10)).toEqual([]);
  });
});
