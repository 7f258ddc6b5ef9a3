import type { FollowerTally } from './start-cursor-followers';

/** Whether every follower saw every event of its topic exactly once, in order. */
export interface FollowerCheck {
  followers: number;
  /** Events received, over every follower. */
  received: number;
  /** Published events of its topic a follower never received, summed over followers. */
  lost: number;
  /** Events a follower received more than once (each extra copy counts). */
  duplicated: number;
  /** Events a follower received that were not answered 201 to the publisher. */
  unexpected: number;
  /** Events whose cursor was not above the previous one's. */
  outOfOrder: number;
  /** Failed polls, retried; by status for the non-200 answers. */
  errors: number;
  statuses: Record<number, number>;
  polls: number;
}

/** Compares what each follower received with what was published to its topic. */
export function checkFollowers(
  followers: readonly FollowerTally[],
  byTopic: readonly (readonly number[])[],
): FollowerCheck {
  const check: FollowerCheck = {
    followers: followers.length,
    received: 0,
    lost: 0,
    duplicated: 0,
    unexpected: 0,
    outOfOrder: 0,
    errors: 0,
    statuses: {},
    polls: 0,
  };
  const published = byTopic.map((events) => new Set(events));
  for (const follower of followers) {
    const expected = published[follower.topic];
    const seen = new Set<number>();
    for (const s of follower.received) {
      if (seen.has(s)) check.duplicated += 1;
      else if (!expected.has(s)) check.unexpected += 1;
      seen.add(s);
    }
    for (const s of expected) if (!seen.has(s)) check.lost += 1;
    check.received += follower.received.length;
    check.outOfOrder += follower.outOfOrder;
    check.errors += follower.errors;
    check.polls += follower.polls;
    for (const [status, count] of Object.entries(follower.statuses)) {
      check.statuses[Number(status)] = (check.statuses[Number(status)] ?? 0) + count;
    }
  }
  return check;
}
