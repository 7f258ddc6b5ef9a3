import { Injectable } from '@nestjs/common';
import type { Context, Span, SpanOptions, Tracer } from '@opentelemetry/api';
import type { HeraldSpan } from './herald-span';
import { loadOtelApi, type OtelApiModule } from './load-otel-api';
import { NOT_RECORDING, RecordingSpan } from './recording-span';
import type { TraceContext } from './trace-context';
import { formatTraceContext, parseTraceContext } from './w3c-trace-context';

/** The instrumentation scope Herald's spans are recorded under. */
export const TRACER_NAME = 'nestjs-herald';

/** Herald's spans; docs/embedding.md describes each and its attributes. */
export type HeraldSpanName =
  'herald publish' | 'herald sequence' | 'herald deliver' | 'herald poll' | 'herald stream';

/** What a span is to the trace around it (OpenTelemetry's span kinds). */
export type HeraldSpanKind = 'producer' | 'client' | 'internal';

/**
 * A context stored or received as W3C headers, possibly absent or invalid (then ignored).
 * `null` fields are how a stored row says "none".
 */
export interface RemoteParent {
  traceparent: string | null;
  tracestate?: string | null;
}

/** Where a span's parent comes from: the active context, or none (a new trace). */
export type ParentSource = 'active' | 'root';

/** A span the SDK does not record but whose context is valid (sampled out, or no SDK but a remote parent). */
class PassThroughSpan implements HeraldSpan {
  readonly recording = false;
  constructor(readonly span: Span) {}
  set(): void {}
  linkTo(): void {}
  fail(): void {}
  end(): void {}
}

/**
 * Herald's spans and trace context, through `@opentelemetry/api` and whatever SDK the host
 * registered: Herald never registers one. Without the API installed every method is a no-op;
 * with the API and no SDK, the API's no-op tracer answers and nothing is recorded, built or
 * serialized beyond passing a received or stored context on.
 */
@Injectable()
export class HeraldTracing {
  private readonly api: OtelApiModule | undefined = loadOtelApi();
  private readonly tracer: Tracer | undefined = this.api?.trace.getTracer(TRACER_NAME);
  private readonly kinds: Record<HeraldSpanKind, SpanOptions> | undefined = this.api && {
    producer: { kind: this.api.SpanKind.PRODUCER },
    client: { kind: this.api.SpanKind.CLIENT },
    internal: { kind: this.api.SpanKind.INTERNAL },
  };

  /**
   * Starts a span. Its parent is `remote` when that is a valid trace context, else the active
   * context (`'active'`) or none (`'root'`).
   */
  start(
    name: HeraldSpanName,
    kind: HeraldSpanKind,
    from: ParentSource,
    remote?: RemoteParent,
  ): HeraldSpan {
    const { api, tracer, kinds } = this;
    if (!api || !tracer || !kinds) return NOT_RECORDING;
    const parent = this.parentContext(api, from, remote);
    return this.wrap(api, tracer.startSpan(name, kinds[kind], parent));
  }

  /**
   * Starts a span that began at `startTime` (performance.now() of then): for work whose span is
   * worth recording only once its outcome is known, as a sequencer batch that stamped something.
   */
  startedAt(
    name: HeraldSpanName,
    kind: HeraldSpanKind,
    from: ParentSource,
    startTime: number,
  ): HeraldSpan {
    const { api, tracer, kinds } = this;
    if (!api || !tracer || !kinds) return NOT_RECORDING;
    const options = { ...kinds[kind], startTime: performance.timeOrigin + startTime };
    return this.wrap(api, tracer.startSpan(name, options, this.parentContext(api, from)));
  }

  /** Runs `work` with `span` as the active span, so spans started within it are its children. */
  run<T>(span: HeraldSpan, work: () => Promise<T>): Promise<T> {
    const { api } = this;
    if (!api || !(span instanceof RecordingSpan)) return work();
    return api.context.with(api.trace.setSpan(api.context.active(), span.span), work);
  }

  /**
   * The span's context as W3C headers, to store or send: undefined when it has none (no SDK and
   * no parent to pass on). A span no SDK records still passes on its parent's context.
   */
  contextOf(span: HeraldSpan): TraceContext | undefined {
    if (span instanceof RecordingSpan || span instanceof PassThroughSpan)
      return formatTraceContext(span.span.spanContext());
    return undefined;
  }

  private parentContext(api: OtelApiModule, from: ParentSource, remote?: RemoteParent): Context {
    const base = from === 'active' ? api.context.active() : api.ROOT_CONTEXT;
    if (!remote?.traceparent) return base;
    const spanContext = parseTraceContext(api, remote.traceparent, remote.tracestate);
    return spanContext ? api.trace.setSpanContext(base, spanContext) : base;
  }

  private wrap(api: OtelApiModule, span: Span): HeraldSpan {
    if (span.isRecording()) return new RecordingSpan(api, span);
    const context = span.spanContext();
    // No SDK and no parent: the no-op tracer's invalid context, compared by identity first.
    if (context === api.INVALID_SPAN_CONTEXT || !api.isSpanContextValid(context))
      return NOT_RECORDING;
    return new PassThroughSpan(span);
  }
}
