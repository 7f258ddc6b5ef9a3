import { context, propagation, trace } from '@opentelemetry/api';
import {
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';

/** Spans recorded in memory by an SDK registered for a describe block. */
export interface RecordedSpans {
  /** Every span ended so far. */
  all(): ReadableSpan[];
  /** Ended spans named `name`, of the trace `traceId` when given. */
  named(name: string, traceId?: string): ReadableSpan[];
}

/**
 * For a describe block: registers an OpenTelemetry SDK as a host would (a NodeTracerProvider with
 * its AsyncLocalStorage context manager and the W3C propagator) that keeps every span in memory,
 * and unregisters it after the block, so other specs see no SDK.
 */
export function useInMemoryTracing(): RecordedSpans {
  const exporter = new InMemorySpanExporter();
  const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  beforeAll(() => provider.register());
  afterAll(async () => {
    await provider.shutdown();
    trace.disable();
    context.disable();
    propagation.disable();
  });
  const all = () => exporter.getFinishedSpans();
  return {
    all,
    named: (name, traceId) =>
      all().filter(
        (span) =>
          span.name === name && (traceId === undefined || span.spanContext().traceId === traceId),
      ),
  };
}
