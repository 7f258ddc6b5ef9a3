/** Attribute values a span takes. */
export type SpanAttributes = Record<string, string | number | boolean | undefined>;

/**
 * A span Herald started, ended by the code that started it. When no SDK records it (none is
 * registered, or its sampler said no), every method does nothing and `recording` is false, so
 * callers build attributes only when it is true.
 */
export interface HeraldSpan {
  readonly recording: boolean;
  /** Adds attributes (while recording). */
  set(attributes: SpanAttributes): void;
  /** Links the span to the contexts of the events it handles, when the SDK can add links. */
  linkTo(contexts: Iterable<string | null | undefined>): void;
  /** Marks it failed: error status, `error.type`, and the error as an exception event. */
  fail(error: unknown, type?: string): void;
  end(): void;
}
