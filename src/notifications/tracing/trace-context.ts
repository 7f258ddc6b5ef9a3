/**
 * A W3C trace context as stored with an event and sent with its webhooks: the `traceparent` and
 * `tracestate` header values.
 */
export interface TraceContext {
  /** `00-<trace id>-<parent id>-<flags>`. */
  traceparent: string;
  /** Vendor entries, when there are any. */
  tracestate?: string;
}
