/**
 * Headers Herald sets on every webhook, or that belong to the connection (undici refuses them, so
 * every attempt would fail): a subscription may not give them.
 */
const RESERVED_NAMES = new Set([
  'content-type',
  'content-length',
  'host',
  'user-agent',
  'connection',
  'keep-alive',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'expect',
  // The trace context of the event (W3C Trace Context), sent by Herald when the event has one.
  'traceparent',
  'tracestate',
]);
/** Every `webhook-*` header is Standard Webhooks' (id, timestamp, signature), `herald-*` Herald's. */
const RESERVED_PREFIXES = ['webhook-', 'herald-'];

/** Whether Herald sets `name` itself (compared case-insensitively). */
export function isReservedHeader(name: string): boolean {
  const lower = name.toLowerCase();
  return RESERVED_NAMES.has(lower) || RESERVED_PREFIXES.some((prefix) => lower.startsWith(prefix));
}

/**
 * A subscription's stored headers without any Herald sets (the API refuses them; a row written by
 * hand may hold one, in any case): a receiver gets Herald's own, or none, never a stored one.
 */
export function withoutReservedHeaders(headers: Record<string, string>): Record<string, string> {
  const entries = Object.entries(headers);
  if (!entries.some(([name]) => isReservedHeader(name))) return headers;
  return Object.fromEntries(entries.filter(([name]) => !isReservedHeader(name)));
}
