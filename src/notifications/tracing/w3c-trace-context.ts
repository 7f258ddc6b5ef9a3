import type { SpanContext } from '@opentelemetry/api';
import type { OtelApiModule } from './load-otel-api';
import type { TraceContext } from './trace-context';

// Version 00 is exactly four fields; a later version may append fields, which are ignored
// (W3C Trace Context, "Versioning of traceparent"). Version ff is invalid.
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

/**
 * The remote span context a `traceparent` (and `tracestate`) names, or undefined when it is not
 * a valid traceparent: a receiver of an invalid one starts a new trace, as W3C Trace Context says.
 */
export function parseTraceContext(
  api: OtelApiModule,
  traceparent: string,
  tracestate?: string | null,
): SpanContext | undefined {
  const match = TRACEPARENT.exec(traceparent.trim());
  if (!match) return undefined;
  const [, version, traceId, spanId, flags, rest] = match;
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined;
  const context: SpanContext = {
    traceId,
    spanId,
    traceFlags: parseInt(flags, 16),
    isRemote: true,
  };
  if (!api.isSpanContextValid(context)) return undefined;
  if (tracestate) context.traceState = api.createTraceState(tracestate);
  return context;
}

/** The span context as W3C headers; a `tracestate` only when it has entries. */
export function formatTraceContext(context: SpanContext): TraceContext {
  const flags = (context.traceFlags & 0xff).toString(16).padStart(2, '0');
  const traceparent = `00-${context.traceId}-${context.spanId}-${flags}`;
  const tracestate = context.traceState?.serialize();
  return tracestate ? { traceparent, tracestate } : { traceparent };
}
