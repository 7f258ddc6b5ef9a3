import type { TestTenant } from './create-tenant';
import { expectEventually } from './expect-eventually';
import { readEvents } from './read-events';
import type { HeraldEndpoint } from './test-app';

/**
 * Follows the cursors from `after` on `topics` until as many events as `expected` were read, then
 * asserts that each expected event was read exactly once and nothing else was.
 */
export async function expectEachReadOnce(
  herald: HeraldEndpoint,
  tenant: TestTenant,
  { after, topics, expected }: { after: string; topics: string; expected: readonly string[] },
  timeoutMs = 15_000,
): Promise<void> {
  const read: string[] = [];
  let cursor = after;
  await expectEventually(
    async () => {
      const page = await readEvents(herald, tenant, { after: cursor, limit: 1000, topics });
      read.push(...page.events.map((event) => event.id));
      cursor = page.nextCursor;
      expect(read.length).toBeGreaterThanOrEqual(expected.length);
    },
    { timeoutMs, intervalMs: 50 },
  );
  expect(new Set(read).size).toBe(read.length);
  expect([...read].sort()).toEqual([...expected].sort());
}
