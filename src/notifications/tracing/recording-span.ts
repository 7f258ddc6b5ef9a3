import type { Span } from '@opentelemetry/api';
import { NotificationsError } from '../notifications.errors';
import type { HeraldSpan, SpanAttributes } from './herald-span';
import type { OtelApiModule } from './load-otel-api';
import { parseTraceContext } from './w3c-trace-context';

/** Links a span takes at most: the SDK's default limit, so no more are parsed than it keeps. */
const MAX_LINKS = 128;

/** The SDK's span behind a {@link HeraldSpan}, made only when the SDK records it. */
export class RecordingSpan implements HeraldSpan {
  readonly recording = true;

  constructor(
    private readonly api: OtelApiModule,
    readonly span: Span,
  ) {}

  set(attributes: SpanAttributes): void {
    this.span.setAttributes(attributes);
  }

  linkTo(contexts: Iterable<string | null | undefined>): void {
    // Span.addLinks came with API 1.9 and the SDKs of its time; an older SDK records no links.
    if (typeof this.span.addLinks !== 'function') return;
    const links = [];
    for (const traceparent of contexts) {
      if (links.length === MAX_LINKS) break;
      const context = traceparent ? parseTraceContext(this.api, traceparent) : undefined;
      if (context) links.push({ context });
    }
    if (links.length > 0) this.span.addLinks(links);
  }

  fail(error: unknown, type?: string): void {
    const message = error instanceof Error ? error.message : String(error);
    this.span.setStatus({ code: this.api.SpanStatusCode.ERROR, message });
    this.span.setAttribute(
      'error.type',
      type ?? (error instanceof Error ? errorType(error) : '_OTHER'),
    );
    if (error instanceof Error) this.span.recordException(error);
  }

  end(): void {
    this.span.end();
  }
}

/** A Herald error's code (`cursor_expired`), else the error's class name. */
function errorType(error: Error): string {
  return error instanceof NotificationsError ? error.code : error.name;
}

/** The {@link HeraldSpan} of a span no SDK records. */
export const NOT_RECORDING: HeraldSpan = {
  recording: false,
  set: () => undefined,
  linkTo: () => undefined,
  fail: () => undefined,
  end: () => undefined,
};
