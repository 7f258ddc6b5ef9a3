import { parseDuration } from './duration';

/** A parsed `HERALD_RATE_LIMIT_*` value: at most `limit` requests per `window` milliseconds. */
export interface RateLimitSetting {
  limit: number;
  window: number; // ms
}

const RATE_PATTERN = /^(\d+)\/(\S+)$/;

/** A shorter window would limit bursts below what HTTP timing can tell apart. */
const MIN_WINDOW = '100ms';
/** A longer window would be a quota, which this is not meant to be. */
const MAX_WINDOW = '1d';

/**
 * Parses a rate limit written `<requests>/<window>` (`1000/1s`, `100/1m`), or `off`.
 *
 * @returns the limit, or `false` for `off`
 * @throws Error naming what is wrong with the text
 */
export function parseRateLimit(text: string): RateLimitSetting | false {
  if (text === 'off') return false;
  const match = RATE_PATTERN.exec(text);
  if (!match) {
    throw new Error(
      `"${text}" is not a rate (write requests/window, as in 1000/1s or 100/1m, or off)`,
    );
  }
  const [, count, windowText] = match;
  const limit = Number(count);
  if (!Number.isSafeInteger(limit) || limit < 1) {
    throw new Error(`"${text}" must allow at least 1 request per window`);
  }
  const window = parseDuration(windowText);
  if (window < parseDuration(MIN_WINDOW) || window > parseDuration(MAX_WINDOW)) {
    throw new Error(`"${text}" must have a window between ${MIN_WINDOW} and ${MAX_WINDOW}`);
  }
  return { limit, window };
}
