import { isTopic, TOPIC_MAX_LENGTH } from '../common/topics/topic';

/** What a valid event type name is, for messages. */
export const EVENT_TYPE_NAME_RULE =
  'dot-separated words of lowercase letters, digits, _ and -, without wildcards, ' +
  `at most ${TOPIC_MAX_LENGTH} characters`;

/** Whether `name` can name an event type: a concrete topic (no `*`). */
export function isEventTypeName(name: unknown): name is string {
  return typeof name === 'string' && isTopic(name);
}
