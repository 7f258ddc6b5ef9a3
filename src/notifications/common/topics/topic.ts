/** Largest topic length, in characters; patterns (`order.*`) too. */
export const TOPIC_MAX_LENGTH = 200;

/** Most topics a subscription, or one poll, may name. */
export const MAX_TOPICS = 50;

const WORD = '[a-z0-9_-]+';

/** A concrete topic: dot-separated words of lowercase letters, digits, `_` and `-`. */
export const TOPIC_REGEX = new RegExp(`^${WORD}(\\.${WORD})*$`);

/**
 * A topic, a prefix ending in `.*`, or `*` alone. The DTOs pair it with `@MaxLength(TOPIC_MAX_LENGTH)`,
 * each with its own message.
 */
export const TOPIC_PATTERN_REGEX = new RegExp(`^(\\*|${WORD}(\\.${WORD})*(\\.\\*)?)$`);

/** Whether `topic` is a valid concrete topic. */
export function isTopic(topic: string): boolean {
  return topic.length <= TOPIC_MAX_LENGTH && TOPIC_REGEX.test(topic);
}
