/**
 * A set of topic patterns compiled for matching: `*` matches everything, `order.*` matches every
 * topic that starts with `order.` (at any depth), anything else matches itself.
 */
export class TopicFilter {
  /** True when the filter lets every topic through. */
  readonly all: boolean;
  readonly exact: readonly string[];
  /** Prefixes including their trailing dot, e.g. `order.`. */
  readonly prefixes: readonly string[];
  /** The same for every filter of the same patterns, in any order: `*`, or them sorted. */
  readonly key: string;

  constructor(patterns: readonly string[]) {
    this.all = patterns.length === 0 || patterns.includes('*');
    this.key = this.all ? '*' : [...new Set(patterns)].sort().join(',');
    this.exact = this.all ? [] : patterns.filter((p) => !p.endsWith('.*'));
    this.prefixes = this.all
      ? []
      : patterns.filter((p) => p.endsWith('.*')).map((p) => p.slice(0, -1));
  }

  /** Whether `topic` passes the filter. */
  matches(topic: string): boolean {
    return this.all || this.exact.includes(topic) || this.prefixes.some((p) => topic.startsWith(p));
  }
}
